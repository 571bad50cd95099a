import fs from 'node:fs/promises';
import path from 'node:path';
import { withFileLock, writeFileAtomic } from '../credentials/atomic-file.js';
import { parseTokenFile, serializeOAuthTokenFile } from '../credentials/token-file.js';
import type { OAuthSecret, TokenFileFormat } from '../credentials/types.js';
import { LoginError } from './login-error.js';

/** Where a login goes and what it is called. */
export interface SaveLoginInput {
  authDir: string;
  secret: OAuthSecret;
  /** `--id NAME`: stored as the file's `id` key; without it the id is the file name (or the `id` already there). */
  credentialName?: string | undefined;
}

/** The saved credential. */
export interface SavedLogin {
  credentialId: string;
  /** Absolute path of auth_dir/codex/<name>.json. */
  file: string;
  /** True when an earlier login of the same account was replaced (same file). */
  replaced: boolean;
}

type ExistingFile =
  | { kind: 'missing' }
  | { kind: 'oauth'; format: TokenFileFormat; raw: Record<string, unknown>; accountId: string | undefined }
  | { kind: 'unusable'; reason: string };

const NAME_PATTERN = /^[A-Za-z0-9._@+-]+$/;

/** Why `name` cannot be a credential id (the config's id rule), or undefined when it can. */
export function credentialNameProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name) || name === '.' || name === '..' || name.length > 128) {
    return `"${name}" cannot be a credential id: use up to 128 letters, digits and . _ @ + - (not "." or "..")`;
  }
  return undefined;
}

/** A file base name from an email or account id: no path separators, no `..`, no leading dot, at most 128 chars. */
export function loginFileBaseName(identity: string): string | undefined {
  const cleaned = identity
    .trim()
    .replace(/[^A-Za-z0-9._@+-]/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.+/, '')
    .slice(0, 128);
  return cleaned.length > 0 ? cleaned : undefined;
}

/** The file names to try, in order: the email (lower case), then the account id (codex-protocol.md 3.4 claims). */
function candidateNames(secret: OAuthSecret): string[] {
  const names = [secret.email ? loginFileBaseName(secret.email.toLowerCase()) : undefined, secret.accountId ? loginFileBaseName(secret.accountId) : undefined];
  return [...new Set(names.filter((name): name is string => name !== undefined))];
}

async function readExisting(file: string): Promise<ExistingFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unusable', reason: `it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  try {
    const parsed = parseTokenFile(text);
    if (parsed.secret.kind !== 'oauth') return { kind: 'unusable', reason: 'it holds an API key' };
    return { kind: 'oauth', format: parsed.format, raw: parsed.raw, accountId: parsed.secret.accountId };
  } catch {
    // Why: a login is the fix for an `invalid` OAuth file, so an OAuth-shaped object gets new tokens, keeping its keys.
    return oauthShapedObject(text);
  }
}

function oauthShapedObject(text: string): ExistingFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'unusable', reason: 'it is not valid JSON' };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { kind: 'unusable', reason: 'it is not a JSON object' };
  const object = raw as Record<string, unknown>;
  if ('api_key' in object || 'apiKey' in object || 'tokens' in object || 'OPENAI_API_KEY' in object) {
    return { kind: 'unusable', reason: 'it is not a proxycast OAuth token file' };
  }
  return { kind: 'oauth', format: 'oauth', raw: object, accountId: typeof object.account_id === 'string' ? object.account_id : undefined };
}

/** Writes the login into `file` under its lock; undefined when the file belongs to something else and `mayPass`. */
async function writeIfOurs(file: string, input: SaveLoginInput, mayPass: boolean): Promise<SavedLogin | undefined> {
  return withFileLock(file, async () => {
    const existing = await readExisting(file);
    const otherAccount = existing.kind === 'oauth' && !!existing.accountId && !!input.secret.accountId && existing.accountId !== input.secret.accountId;
    if (existing.kind === 'unusable' || otherAccount) {
      if (mayPass) return undefined;
      const why = existing.kind === 'unusable' ? existing.reason : `it holds another account (${existing.accountId})`;
      throw new LoginError('save_failed', `Signed in, but ${file} already exists and ${why}, so it was left alone. Move it away and log in again. Nothing was saved.`);
    }
    const raw = existing.kind === 'oauth' ? { ...existing.raw } : {};
    if (input.credentialName) raw.id = input.credentialName;
    // An old expiry must not outlive the tokens it described; serializeOAuthTokenFile writes the new one.
    delete raw.expires_at;
    delete raw.expired;
    const format = existing.kind === 'oauth' ? existing.format : 'oauth';
    await writeFileAtomic(file, serializeOAuthTokenFile({ format, raw }, input.secret));
    const credentialId = typeof raw.id === 'string' && raw.id.length > 0 ? raw.id : path.basename(file, '.json');
    return { credentialId, file, replaced: existing.kind === 'oauth' };
  });
}

/**
 * Saves a login as auth_dir/codex/<email>.json (0600, atomically, under the lock) in the flat OAuth format. The same
 * account again replaces that file's tokens and keeps its other keys. When <email>.json holds another account (one
 * email, two workspaces) or cannot be read, <account id>.json is used instead.
 */
export async function saveLogin(input: SaveLoginInput): Promise<SavedLogin> {
  if (input.credentialName) {
    const problem = credentialNameProblem(input.credentialName);
    if (problem) throw new LoginError('invalid_option', problem);
  }
  const names = candidateNames(input.secret);
  if (names.length === 0) {
    throw new LoginError('no_identity', 'Signed in, but the id_token carries neither an email nor a ChatGPT account id, so the login cannot be named. Nothing was saved.');
  }
  const dir = path.join(path.resolve(input.authDir), 'codex');
  for (const [index, name] of names.entries()) {
    const saved = await writeIfOurs(path.join(dir, `${name}.json`), input, index < names.length - 1);
    if (saved) return saved;
  }
  throw new LoginError('save_failed', 'Signed in, but no file name was free for this login. Nothing was saved.');
}
