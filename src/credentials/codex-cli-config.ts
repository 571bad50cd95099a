import { parse, TomlError } from 'smol-toml';

/**
 * Reads the Codex CLI's config.toml for the import (codex-protocol.md section 4): which provider is active and what
 * it says about base URL, wire API, headers, query parameters and env_key. Pure: text and env in, data out.
 */

export type WireApi = 'responses' | 'chat';

/** The provider the Codex CLI would use, as far as the import cares. */
export interface CodexCliProvider {
  /** The `model_provider` id; `openai` for the built-in one. */
  id: string;
  builtIn: boolean;
  /** The provider's base URL without a trailing slash; undefined = the daemon's codex.* defaults apply. */
  baseUrl?: string | undefined;
  /** Only for API keys on the built-in openai provider: `OPENAI_BASE_URL` from the environment. */
  apiKeyBaseUrl?: string | undefined;
  wireApi: WireApi;
  /** http_headers plus the env_http_headers whose variable is set and non-empty. */
  headers: Record<string, string>;
  queryParams: Record<string, string>;
  /** The env var that holds this provider's bearer key, if the provider names one. */
  envKey?: string | undefined;
  requiresOpenaiAuth: boolean;
}

export type CredentialsStore = 'file' | 'keyring' | 'auto' | 'ephemeral';

/** What config.toml (or its absence) means for the import. */
export interface CodexCliConfig {
  provider: CodexCliProvider;
  /** The active profile, when `profile` names one. */
  profile?: string | undefined;
  credentialsStore: CredentialsStore;
  /** `chatgpt_base_url` (ChatGPT-side calls such as usage, not the Responses endpoint), when set. */
  chatgptBaseUrl?: string | undefined;
  forcedLoginMethod?: 'chatgpt' | 'api' | undefined;
  /** Each names the file; the import goes on regardless. */
  warnings: string[];
}

type Env = Readonly<Record<string, string | undefined>>;
type Table = Record<string, unknown>;

/** Headers the credential itself owns; a provider may not replace them. */
const RESERVED_HEADERS = new Set(['authorization', 'chatgpt-account-id', 'host', 'content-length']);
/** Built-in ids that are not OpenAI: local OSS servers, which proxycast does not serve. */
const OTHER_BUILT_IN_PROVIDERS = new Set(['ollama', 'lmstudio', 'oss', 'ollama-chat', 'amazon-bedrock']);
const STORES: readonly CredentialsStore[] = ['file', 'keyring', 'auto', 'ephemeral'];

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

/** An http(s) URL without trailing slashes, or undefined with a warning. Codex appends paths as is, so no /v1 is added. */
function httpBaseUrl(value: unknown, where: string, warnings: string[]): string | undefined {
  if (value === undefined) return undefined;
  const text = nonEmptyString(value);
  try {
    if (text && ['http:', 'https:'].includes(new URL(text).protocol)) return text.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  warnings.push(`${where} is not an http(s) URL; ignored`);
  return undefined;
}

function stringMap(value: unknown, where: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  if (!isTable(value)) {
    warnings.push(`${where} is not a table; ignored`);
    return out;
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') out[key] = entry;
    else warnings.push(`${where}.${key} is not a string; ignored`);
  }
  return out;
}

function withoutReservedHeaders(headers: Record<string, string>, where: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) warnings.push(`${where}.${name} ignored: the credential sends its own`);
    else out[name] = value;
  }
  return out;
}

/** The built-in openai provider: OPENAI_ORGANIZATION / OPENAI_PROJECT headers, OPENAI_BASE_URL for API keys. */
function builtInOpenai(env: Env, warnings: string[]): CodexCliProvider {
  const headers: Record<string, string> = {};
  const organization = nonEmptyString(env.OPENAI_ORGANIZATION);
  const project = nonEmptyString(env.OPENAI_PROJECT);
  if (organization) headers['OpenAI-Organization'] = organization;
  if (project) headers['OpenAI-Project'] = project;
  return {
    id: 'openai',
    builtIn: true,
    apiKeyBaseUrl: httpBaseUrl(nonEmptyString(env.OPENAI_BASE_URL), 'OPENAI_BASE_URL', warnings),
    wireApi: 'responses',
    headers,
    queryParams: {},
    requiresOpenaiAuth: true,
  };
}

function wireApiOf(value: unknown, where: string, warnings: string[]): WireApi {
  if (value === undefined || value === 'responses') return 'responses';
  if (value === 'chat') {
    warnings.push(`${where} = "chat" is deprecated and rejected by current Codex; API keys are sent to /chat/completions as is`);
    return 'chat';
  }
  warnings.push(`${where} = ${JSON.stringify(value)} is not "responses" or "chat"; using "responses"`);
  return 'responses';
}

function customProvider(id: string, entry: Table, file: string, env: Env, warnings: string[]): CodexCliProvider {
  const where = `${file}: [model_providers.${id}]`;
  const headers = stringMap(entry.http_headers, `${where} http_headers`, warnings);
  for (const [header, variable] of Object.entries(stringMap(entry.env_http_headers, `${where} env_http_headers`, warnings))) {
    const value = nonEmptyString(env[variable]);
    if (value) headers[header] = value;
  }
  const envKey = entry.env_key === undefined ? undefined : nonEmptyString(entry.env_key);
  if (entry.env_key !== undefined && !envKey) warnings.push(`${where} env_key is empty; ignored`);
  return {
    id,
    builtIn: false,
    baseUrl: httpBaseUrl(entry.base_url, `${where} base_url`, warnings),
    wireApi: wireApiOf(entry.wire_api, `${where} wire_api`, warnings),
    headers: withoutReservedHeaders(headers, `${where} http_headers`, warnings),
    queryParams: stringMap(entry.query_params, `${where} query_params`, warnings),
    envKey,
    requiresOpenaiAuth: entry.requires_openai_auth === true,
  };
}

/** `model_provider`, overridden by the active `[profiles.<name>]` (precedence: profile > top level > "openai"). */
function activeProviderId(document: Table, file: string, warnings: string[]): { id: string; profile?: string } {
  let id = nonEmptyString(document.model_provider) ?? 'openai';
  const profile = nonEmptyString(document.profile);
  if (!profile) return { id };
  const profiles = isTable(document.profiles) ? document.profiles : {};
  const table = profiles[profile];
  if (!isTable(table)) {
    warnings.push(`${file}: profile "${profile}" has no [profiles.${profile}] table; using the top-level settings`);
    return { id, profile };
  }
  id = nonEmptyString(table.model_provider) ?? id;
  return { id, profile };
}

function resolveProvider(document: Table, id: string, file: string, env: Env, warnings: string[]): CodexCliProvider {
  const providers = isTable(document.model_providers) ? document.model_providers : {};
  if (id === 'openai') {
    if (providers.openai !== undefined) warnings.push(`${file}: [model_providers.openai] ignored: a user entry cannot override the built-in openai provider`);
    return builtInOpenai(env, warnings);
  }
  const entry = providers[id];
  if (OTHER_BUILT_IN_PROVIDERS.has(id)) {
    warnings.push(`${file}: model_provider "${id}" is a built-in local provider that proxycast does not serve; the login is imported with the default upstream`);
    return builtInOpenai(env, warnings);
  }
  if (!isTable(entry)) {
    warnings.push(`${file}: model_provider "${id}" has no [model_providers.${id}] table; using the built-in openai provider`);
    return builtInOpenai(env, warnings);
  }
  return customProvider(id, entry, file, env, warnings);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

/** Parses config.toml text (undefined = no file) into the provider and login settings the import uses; never throws. */
export function parseCodexCliConfig(text: string | undefined, options: { file: string; env: Env }): CodexCliConfig {
  const { file, env } = options;
  const warnings: string[] = [];
  const fallback = (): CodexCliConfig => ({ provider: builtInOpenai(env, warnings), credentialsStore: 'file', warnings });
  if (text === undefined) return fallback();
  let document: Table;
  try {
    document = parse(text);
  } catch (error) {
    // The TomlError message ends with a code block of the file; it may hold a secret, so only line and column are kept.
    const where = error instanceof TomlError ? `${file} line ${error.line}, column ${error.column}` : file;
    const reason = error instanceof Error ? firstLine(error.message) : 'unreadable';
    warnings.push(`${where}: ${reason}; config.toml ignored, importing from auth.json alone`);
    return fallback();
  }
  const { id, profile } = activeProviderId(document, file, warnings);
  const provider = resolveProvider(document, id, file, env, warnings);
  const store = document.cli_auth_credentials_store;
  const credentialsStore = STORES.find((known) => known === store) ?? 'file';
  if (store !== undefined && store !== credentialsStore) warnings.push(`${file}: cli_auth_credentials_store = ${JSON.stringify(store)} is unknown; assuming "file"`);
  const forced = document.forced_login_method;
  const forcedLoginMethod = forced === 'chatgpt' || forced === 'api' ? forced : undefined;
  if (forced !== undefined && !forcedLoginMethod) warnings.push(`${file}: forced_login_method = ${JSON.stringify(forced)} is not "chatgpt" or "api"; ignored`);
  return {
    provider,
    profile,
    credentialsStore,
    chatgptBaseUrl: httpBaseUrl(document.chatgpt_base_url, `${file}: chatgpt_base_url`, warnings),
    forcedLoginMethod,
    warnings,
  };
}
