import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { emptyStats, type Credential } from './credential.js';
import { readTokenFile } from './token-store.js';
import type { CredentialSecret, CredentialSource } from './types.js';

/** What is needed to build a run-time credential before its token file is read. */
export interface CredentialSpec {
  id: string;
  source: CredentialSource;
  tokenFile: string;
  disabled?: boolean;
  proxyUrl?: string | undefined;
  baseUrlOverride?: string | undefined;
  extraHeaders?: Record<string, string>;
  queryParams?: Record<string, string>;
  /** Set when the spec itself is unusable (e.g. a token_file outside auth_dir). */
  invalidReason?: string;
  /** A secret that lives in no file (an env_key API key); tokenFile is then `env:<VAR>`. */
  inlineSecret?: CredentialSecret | undefined;
}

/** Resolves a config token_file against auth_dir; a relative path may not climb out of auth_dir. */
export function resolveTokenFile(tokenFile: string, authDir: string): { file: string; error?: string } {
  if (path.isAbsolute(tokenFile)) return { file: path.normalize(tokenFile) };
  const file = path.resolve(authDir, tokenFile);
  const relative = path.relative(authDir, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return { file, error: `token_file "${tokenFile}" points outside auth_dir (${authDir}); use an absolute path to mean a file elsewhere` };
  }
  return { file };
}

/** The credential specs of config.yaml's credential_pool.codex entries. */
export function configCredentialSpecs(config: Config, authDir: string): CredentialSpec[] {
  return config.credential_pool.codex.map((entry) => {
    const resolved = resolveTokenFile(entry.token_file, authDir);
    return {
      id: entry.id,
      source: 'config' as const,
      tokenFile: resolved.file,
      disabled: entry.disabled,
      proxyUrl: entry.proxy_url,
      ...(resolved.error ? { invalidReason: resolved.error } : {}),
    };
  });
}

/** The `id` a login file carries (`proxycast login --id NAME`), when it has a valid one. */
async function idInLoginFile(file: string): Promise<string | undefined> {
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as { id?: unknown };
    return typeof raw.id === 'string' && /^[A-Za-z0-9._@+-]+$/.test(raw.id) ? raw.id : undefined;
  } catch {
    return undefined;
  }
}

/** Credentials saved by `proxycast login`: every auth_dir/codex/*.json no config entry already names. */
export async function loginCredentialSpecs(authDir: string, taken: { ids: ReadonlySet<string>; files: ReadonlySet<string> }): Promise<CredentialSpec[]> {
  const dir = path.join(authDir, 'codex');
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  } catch {
    return [];
  }
  const specs: CredentialSpec[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (taken.files.has(file)) continue;
    const id = (await idInLoginFile(file)) ?? name.slice(0, -'.json'.length);
    if (taken.ids.has(id)) continue;
    specs.push({ id, source: 'login', tokenFile: file });
  }
  return specs;
}

/** A run-time credential from its spec, with its token file read (a bad file makes it `invalid`, never an error). */
export async function buildCredential(spec: CredentialSpec): Promise<Credential> {
  const credential: Credential = {
    id: spec.id,
    source: spec.source,
    tokenFile: spec.tokenFile,
    proxyUrl: spec.proxyUrl,
    baseUrlOverride: spec.baseUrlOverride,
    extraHeaders: spec.extraHeaders ?? {},
    queryParams: spec.queryParams ?? {},
    disabled: spec.disabled ?? false,
    state: 'active',
    stats: emptyStats(),
  };
  if (spec.invalidReason) {
    credential.state = 'invalid';
    credential.reason = spec.invalidReason;
    return credential;
  }
  if (spec.inlineSecret) {
    credential.secret = spec.inlineSecret;
    credential.kind = spec.inlineSecret.kind;
    return credential;
  }
  await loadTokenFileInto(credential);
  return credential;
}

/** (Re)reads the credential's token file into it: secret, kind and snapshot, or `invalid` with the reason. */
export async function loadTokenFileInto(credential: Credential): Promise<void> {
  const read = await readTokenFile(credential.tokenFile);
  if (!read.ok) {
    credential.state = 'invalid';
    credential.reason = read.reason;
    credential.secret = undefined;
    credential.file = undefined;
    return;
  }
  credential.secret = read.parsed.secret;
  credential.kind = read.parsed.secret.kind;
  credential.file = { format: read.parsed.format, raw: read.parsed.raw, text: read.text };
  if (credential.state === 'invalid' || credential.state === 'needs_login') {
    credential.state = 'active';
    credential.reason = undefined;
  }
}
