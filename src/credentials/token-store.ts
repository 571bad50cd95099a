import fs from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import type { TokenFileSnapshot } from './credential.js';
import { parseTokenFile, serializeOAuthTokenFile, TokenFileError } from './token-file.js';
import type { OAuthSecret, ParsedTokenFile } from './types.js';

export type TokenFileRead =
  | { ok: true; parsed: ParsedTokenFile; text: string }
  | { ok: false; reason: string; missing: boolean };

/** Reads and validates a token file; never throws and never touches the file. */
export async function readTokenFile(file: string): Promise<TokenFileRead> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: `token file ${file} does not exist`, missing: true };
    return { ok: false, reason: `token file ${file} cannot be read (${code ?? (error as Error).message})`, missing: false };
  }
  try {
    return { ok: true, parsed: parseTokenFile(text), text };
  } catch (error) {
    const reason = error instanceof TokenFileError ? error.message : String(error);
    return { ok: false, reason: `token file ${file}: ${reason}`, missing: false };
  }
}

/**
 * Reads a token file, and reads again (up to `attempts` times, `delayMs` apart) while it does not parse: the Codex
 * CLI rewrites auth.json in place (truncate, then write), so a read can catch it half written.
 */
export async function readTokenFileSteady(file: string, options: { attempts?: number; delayMs?: number } = {}): Promise<TokenFileRead> {
  const attempts = options.attempts ?? 4;
  let read = await readTokenFile(file);
  for (let attempt = 1; attempt < attempts && !read.ok && !read.missing; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 25));
    read = await readTokenFile(file);
  }
  return read;
}

/** The snapshot a credential keeps of what it last read or wrote. */
export function snapshotOf(parsed: ParsedTokenFile, text: string): TokenFileSnapshot {
  return { format: parsed.format, raw: parsed.raw, text };
}

/** Keys of a flat OAuth file that hold the access token's expiry. */
const FLAT_EXPIRY_KEYS = ['expires_at', 'expired'] as const;

/**
 * Writes new OAuth tokens over `previous` (the file as just read, under the lock) atomically with mode 0600, in the
 * file's own format and keeping every key we do not own. Returns the snapshot of what is now on disk. The caller
 * holds withFileLock.
 */
export async function writeOAuthTokens(file: string, previous: ParsedTokenFile, secret: OAuthSecret): Promise<TokenFileSnapshot> {
  const raw: Record<string, unknown> = { ...previous.raw };
  if (previous.format === 'oauth') {
    // An expiry we do not know must not leave the old one behind (it would read as expired and refresh again).
    for (const key of FLAT_EXPIRY_KEYS) {
      if (secret.expiresAt === undefined) delete raw[key];
      else if (key in raw) raw[key] = new Date(secret.expiresAt).toISOString();
    }
  }
  const text = serializeOAuthTokenFile({ format: previous.format, raw }, secret);
  await writeFileAtomic(file, text, 0o600);
  const written = parseTokenFile(text);
  return snapshotOf(written, text);
}
