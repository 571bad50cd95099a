import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { maskSecret, scrubSecrets } from '../redact.js';
import { parseCodexCliConfig, type CodexCliConfig, type CodexCliProvider, type CredentialsStore, type WireApi } from './codex-cli-config.js';
import { parseTokenFile, TokenFileError } from './token-file.js';
import type { ApiKeySecret, CredentialKind, CredentialSecret, ParsedTokenFile, TokenFileFormat } from './types.js';

/**
 * Imports the Codex CLI login ($CODEX_HOME/auth.json + config.toml) into credential specs. It only reads: the
 * credential points at auth.json where it lies (a copy would fork the single-use refresh token), nothing under
 * CODEX_HOME is ever written, and a missing or broken file is a warning, never an exception.
 *
 * Ids: `codex-cli` for the auth.json login and `codex-cli-env` for a key from the provider's env_key. They name the
 * place the secret comes from, not the account, so they stay the same across re-logins and account switches. When
 * another credential of the pool already holds the id, `-2`, `-3`, ... is appended.
 */

export const CODEX_CLI_CREDENTIAL_ID = 'codex-cli';
export const CODEX_CLI_ENV_CREDENTIAL_ID = 'codex-cli-env';

type Env = Readonly<Record<string, string | undefined>>;
type BaseUrlDefaults = Pick<Config['codex'], 'chatgpt_base_url' | 'api_base_url'>;

interface SpecCommon {
  id: string;
  source: 'codex-cli';
  kind: CredentialKind;
  /** The config.toml provider the settings came from (`openai` = built-in). */
  providerId: string;
  /** The base URL this credential will call: baseUrlOverride, else the codex.* default for its kind. */
  baseUrl: string;
  /** Set when config.toml, OPENAI_BASE_URL or the file's api_base_url chose the base URL. */
  baseUrlOverride?: string | undefined;
  extraHeaders: Record<string, string>;
  queryParams: Record<string, string>;
  /** "chat" only for API keys of a provider with wire_api = "chat": /chat/completions passthrough. */
  wireApi: WireApi;
  /** "sk-...abcd" for API keys. */
  maskedKey?: string | undefined;
  /** Things the user should know about this credential (never a secret). */
  notes: string[];
}

/** A credential read from auth.json; the run-time Credential's tokenFile is `tokenFile` itself. */
export interface AuthFileCredentialSpec extends SpecCommon {
  origin: 'auth.json';
  tokenFile: string;
  format: TokenFileFormat;
  email?: string | undefined;
  accountId?: string | undefined;
  planType?: string | undefined;
  /** ms since the epoch. */
  expiresAt?: number | undefined;
}

/** An API key from the environment variable named by the provider's env_key; the spec holds only its name. */
export interface EnvKeyCredentialSpec extends SpecCommon {
  origin: 'env';
  kind: 'api_key';
  envVar: string;
}

/** Everything needed to build a run-time Credential, and no secret value. */
export type ImportedCredentialSpec = AuthFileCredentialSpec | EnvKeyCredentialSpec;

/** A credential already in the pool: its token file (`env:<VAR>` for env keys) and effective base URL. */
export interface ExistingCredential {
  tokenFile: string;
  baseUrl: string;
  id?: string | undefined;
}

export interface CodexCliImportOptions {
  /** Already resolved (resolveCodexHome: codex.codex_home > $CODEX_HOME > ~/.codex). */
  codexHome: string;
  env: Env;
  config: BaseUrlDefaults;
  existing?: readonly ExistingCredential[] | undefined;
  readFile?: ((file: string) => Promise<string>) | undefined;
}

export interface CodexCliImportResult {
  codexHome: string;
  authFile: string;
  configFile: string;
  providerId: string;
  profile?: string | undefined;
  credentialsStore: CredentialsStore;
  credentials: ImportedCredentialSpec[];
  skipped: Array<{ what: string; why: string }>;
  warnings: string[];
}

type FileRead = { ok: true; text: string } | { ok: false; missing: boolean; reason: string };

async function readOptional(file: string, readFile: (file: string) => Promise<string>): Promise<FileRead> {
  try {
    return { ok: true, text: await readFile(file) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT' || code === 'ENOTDIR', reason: `cannot be read (${code ?? (error as Error).message})` };
  }
}

/** The base URL a credential calls: its override, else the file's api_base_url (API keys), else the codex.* default. */
export function effectiveBaseUrl(credential: { secret?: CredentialSecret | undefined; baseUrlOverride?: string | undefined }, defaults: BaseUrlDefaults): string {
  const chosen = credential.baseUrlOverride
    ? credential.baseUrlOverride
    : credential.secret?.kind === 'api_key'
      ? (credential.secret.baseUrl ?? defaults.api_base_url)
      : defaults.chatgpt_base_url;
  return chosen.replace(/\/+$/, '');
}

/** The pair to pass in `existing` next time so that this spec is not imported twice. */
export function importedPair(spec: ImportedCredentialSpec): ExistingCredential {
  return { tokenFile: spec.origin === 'env' ? `env:${spec.envVar}` : spec.tokenFile, baseUrl: spec.baseUrl, id: spec.id };
}

/** The secret of an env_key spec, read from the environment at the time of the call. */
export function envKeySecret(spec: EnvKeyCredentialSpec, env: Env): ApiKeySecret | undefined {
  const apiKey = env[spec.envVar]?.trim();
  return apiKey ? { kind: 'api_key', apiKey, baseUrl: spec.baseUrl } : undefined;
}

/** Why auth.json cannot be used; token-file reasons never quote the file (a JSON error gives only its line). */
function unusableReason(error: unknown): string {
  return scrubSecrets(error instanceof TokenFileError ? error.message : String(error));
}

function missingLoginWarning(store: CredentialsStore, authFile: string, configFile: string): string {
  if (store === 'file') return `no Codex CLI login: ${authFile} does not exist (run \`codex login\` or \`proxycast login\`)`;
  const where = store === 'ephemeral' ? 'only in the memory of the running Codex CLI' : 'in the OS keyring, which proxycast does not read';
  return (
    `no ${authFile}: config.toml sets cli_auth_credentials_store = "${store}", so the Codex CLI keeps its login ${where}. ` +
    `To import it, run \`proxycast login\`, or set cli_auth_credentials_store = "file" in ${configFile} and run \`codex login\` again`
  );
}

function samePair(a: ExistingCredential, tokenFile: string, baseUrl: string): boolean {
  return path.resolve(a.tokenFile) === path.resolve(tokenFile) && a.baseUrl.replace(/\/+$/, '') === baseUrl.replace(/\/+$/, '');
}

function freeId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

/** Whether the provider's settings apply to the auth.json login (not when the provider takes its key from env_key). */
function providerTakesLogin(provider: CodexCliProvider): boolean {
  return provider.builtIn || !provider.envKey || provider.requiresOpenaiAuth;
}

function authFileUpstream(secret: CredentialSecret, provider: CodexCliProvider, defaults: BaseUrlDefaults, notes: string[]) {
  const applies = providerTakesLogin(provider);
  if (!applies) notes.push(`model_provider "${provider.id}" takes its key from $${provider.envKey}; this login uses the default upstream`);
  const providerBase = applies ? (provider.baseUrl ?? (secret.kind === 'api_key' ? provider.apiKeyBaseUrl : undefined)) : undefined;
  let baseUrlOverride = providerBase;
  if (secret.kind === 'api_key' && secret.baseUrl) {
    if (providerBase && providerBase !== secret.baseUrl) notes.push(`api_base_url in auth.json (${secret.baseUrl}) wins over ${providerBase}`);
    baseUrlOverride = secret.baseUrl;
  }
  if (secret.kind === 'oauth' && providerBase && !provider.requiresOpenaiAuth) {
    notes.push(`model_provider "${provider.id}" does not set requires_openai_auth = true; the ChatGPT login is sent to its base_url because it is the active provider`);
  }
  const wireApi: WireApi = secret.kind === 'api_key' && applies ? provider.wireApi : 'responses';
  if (secret.kind === 'oauth' && applies && provider.wireApi === 'chat') notes.push('wire_api = "chat" does not apply to a ChatGPT login, which speaks the Responses API');
  return {
    baseUrl: effectiveBaseUrl({ secret, baseUrlOverride }, defaults),
    baseUrlOverride,
    extraHeaders: applies ? { ...provider.headers } : {},
    queryParams: applies ? { ...provider.queryParams } : {},
    wireApi,
  };
}

function forcedLoginConflict(kind: CredentialKind, forced: CodexCliConfig['forcedLoginMethod']): string | undefined {
  if (forced === 'api' && kind === 'oauth') return 'config.toml sets forced_login_method = "api" and this is a ChatGPT login, which the Codex CLI itself would refuse';
  if (forced === 'chatgpt' && kind === 'api_key') return 'config.toml sets forced_login_method = "chatgpt" and this is an API key, which the Codex CLI itself would refuse';
  return undefined;
}

interface ImportContext {
  options: CodexCliImportOptions;
  result: CodexCliImportResult;
  taken: Set<string>;
}

/** Adds the spec unless the same (token file, base URL) pair is already in the pool. */
function addUnlessPresent(context: ImportContext, spec: ImportedCredentialSpec, what: string): void {
  const pair = importedPair(spec);
  const present = (context.options.existing ?? []).find((entry) => samePair(entry, pair.tokenFile, pair.baseUrl));
  if (present) {
    context.result.skipped.push({ what, why: `already in the pool${present.id ? ` as ${present.id}` : ''} (same file and base URL ${spec.baseUrl})` });
    return;
  }
  spec.id = freeId(spec.id, context.taken);
  context.taken.add(spec.id);
  context.result.credentials.push(spec);
}

async function importAuthFile(context: ImportContext, codexConfig: CodexCliConfig, readFile: (file: string) => Promise<string>): Promise<void> {
  const { result, options } = context;
  const read = await readOptional(result.authFile, readFile);
  if (!read.ok) {
    result.warnings.push(read.missing ? missingLoginWarning(codexConfig.credentialsStore, result.authFile, result.configFile) : `${result.authFile} ${read.reason}; not imported`);
    return;
  }
  let parsed: ParsedTokenFile;
  try {
    parsed = parseTokenFile(read.text);
  } catch (error) {
    result.warnings.push(`${result.authFile} is not usable: ${unusableReason(error)}; not imported, and left as it is`);
    return;
  }
  if (codexConfig.credentialsStore === 'keyring') {
    result.warnings.push(`config.toml sets cli_auth_credentials_store = "keyring" and the Codex CLI deletes auth.json once the keyring holds the login, so ${result.authFile} may be an old login; if it fails, run \`proxycast login\``);
  }
  const secret = parsed.secret;
  const conflict = forcedLoginConflict(secret.kind, codexConfig.forcedLoginMethod);
  if (conflict) {
    result.skipped.push({ what: result.authFile, why: conflict });
    return;
  }
  const notes: string[] = [];
  const common = { id: CODEX_CLI_CREDENTIAL_ID, source: 'codex-cli' as const, kind: secret.kind, providerId: codexConfig.provider.id };
  const upstream = authFileUpstream(secret, codexConfig.provider, options.config, notes);
  const identity =
    secret.kind === 'oauth'
      ? { email: secret.email, accountId: secret.accountId, planType: secret.planType, expiresAt: secret.expiresAt }
      : { maskedKey: maskSecret(secret.apiKey) };
  if (secret.kind === 'oauth' && !secret.accountId) notes.push('no ChatGPT account id in auth.json or its id_token; calls go without ChatGPT-Account-ID');
  const spec: AuthFileCredentialSpec = { ...common, ...upstream, ...identity, origin: 'auth.json', tokenFile: result.authFile, format: parsed.format, notes };
  addUnlessPresent(context, spec, result.authFile);
}

function importEnvKey(context: ImportContext, provider: CodexCliProvider): void {
  const envVar = provider.envKey;
  if (!envVar) return;
  const what = `$${envVar} (env_key of model_provider "${provider.id}")`;
  const apiKey = context.options.env[envVar]?.trim();
  if (!apiKey) {
    context.result.skipped.push({ what, why: `${envVar} is not set in the environment of proxycast` });
    return;
  }
  const spec: EnvKeyCredentialSpec = {
    id: CODEX_CLI_ENV_CREDENTIAL_ID,
    source: 'codex-cli',
    origin: 'env',
    kind: 'api_key',
    envVar,
    providerId: provider.id,
    baseUrl: provider.baseUrl ?? context.options.config.api_base_url,
    baseUrlOverride: provider.baseUrl,
    extraHeaders: { ...provider.headers },
    queryParams: { ...provider.queryParams },
    wireApi: provider.wireApi,
    maskedKey: maskSecret(apiKey),
    notes: [],
  };
  addUnlessPresent(context, spec, what);
}

/** Reads $CODEX_HOME/auth.json and config.toml into credential specs, skipping what the pool already has; never throws. */
export async function importCodexCli(options: CodexCliImportOptions): Promise<CodexCliImportResult> {
  const readFile = options.readFile ?? ((file: string) => fs.readFile(file, 'utf8'));
  const configFile = path.join(options.codexHome, 'config.toml');
  const configRead = await readOptional(configFile, readFile);
  const codexConfig = parseCodexCliConfig(configRead.ok ? configRead.text : undefined, { file: configFile, env: options.env });
  const result: CodexCliImportResult = {
    codexHome: options.codexHome,
    authFile: path.join(options.codexHome, 'auth.json'),
    configFile,
    providerId: codexConfig.provider.id,
    profile: codexConfig.profile,
    credentialsStore: codexConfig.credentialsStore,
    credentials: [],
    skipped: [],
    warnings: [...codexConfig.warnings],
  };
  if (!configRead.ok && !configRead.missing) result.warnings.push(`${configFile} ${configRead.reason}; importing from auth.json alone`);
  const context: ImportContext = { options, result, taken: new Set((options.existing ?? []).flatMap((entry) => (entry.id ? [entry.id] : []))) };
  try {
    await importAuthFile(context, codexConfig, readFile);
    importEnvKey(context, codexConfig.provider);
  } catch (error) {
    result.warnings.push(`Codex CLI import stopped: ${scrubSecrets(error instanceof Error ? error.message : String(error))}`);
  }
  return result;
}
