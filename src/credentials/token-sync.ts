import { withFileLock } from './atomic-file.js';
import type { TokenFileSnapshot } from './credential.js';
import { chatGptIdentity } from './jwt.js';
import { RefreshError, type RefreshedTokens } from './refresh.js';
import { tokensDiffer } from './token-expiry.js';
import { readTokenFileSteady, snapshotOf, writeOAuthTokens, type TokenFileRead } from './token-store.js';
import type { CredentialSecret, OAuthSecret } from './types.js';

/** What the locked re-read / refresh / write-back step ended with. */
export type SyncOutcome =
  /** The file held other tokens (or another kind of secret): take them; no network call was needed or made. */
  | { kind: 'adopted'; secret: CredentialSecret; snapshot: TokenFileSnapshot }
  /** We refreshed; `written` is false when the file vanished or broke meanwhile, so the tokens live in memory only. */
  | { kind: 'refreshed'; secret: OAuthSecret; snapshot: TokenFileSnapshot | undefined; written: boolean; notWrittenBecause?: string }
  /** The refresh failed. `adopted` is set when the file had newer tokens we took before or during the attempt. */
  | { kind: 'failed'; error: RefreshError; adopted?: { secret: OAuthSecret; snapshot: TokenFileSnapshot } }
  /** The file is missing or does not parse: nothing was sent and nothing written. */
  | { kind: 'unreadable'; reason: string; missing: boolean };

/** What the sync step needs from the manager. */
export interface SyncContext {
  file: string;
  /** The tokens we hold now. */
  held: OAuthSecret;
  now: () => number;
  /** True when a secret read from disk still needs a network refresh (it is itself near expiry). */
  stillDue: (secret: OAuthSecret) => boolean;
  /** A cached permanent failure for this refresh token, if any: it is never sent again. */
  knownDead: (refreshToken: string) => RefreshError | undefined;
  /** The network refresh. */
  refresh: (refreshToken: string) => Promise<RefreshedTokens>;
}

type GoodRead = Extract<TokenFileRead, { ok: true }>;

/** The secret after a refresh: new tokens over the old secret, identity re-read from the new id_token. */
export function mergeRefreshed(base: OAuthSecret, tokens: RefreshedTokens, now: number): OAuthSecret {
  const idToken = tokens.idToken ?? base.idToken;
  const identity = chatGptIdentity(idToken, tokens.accessToken);
  return {
    ...base,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    idToken,
    accountId: identity.accountId ?? base.accountId,
    email: identity.email ?? base.email,
    planType: identity.planType ?? base.planType,
    expiresAt: tokens.expiresAt,
    lastRefresh: now,
  };
}

function oauthOf(read: GoodRead): OAuthSecret | undefined {
  return read.parsed.secret.kind === 'oauth' ? read.parsed.secret : undefined;
}

/**
 * Under the token file's lock: re-read the file; adopt different tokens found there (the Codex CLI or another
 * proxycast refreshed, or a new login) and skip the network; else refresh once and write back atomically. The file
 * is never written on failure, and a file changed during the network call is re-read, not overwritten.
 */
export function syncTokens(context: SyncContext): Promise<SyncOutcome> {
  return withFileLock(context.file, () => syncLocked(context));
}

async function syncLocked(context: SyncContext): Promise<SyncOutcome> {
  const disk = await readTokenFileSteady(context.file);
  if (!disk.ok) return { kind: 'unreadable', reason: disk.reason, missing: disk.missing };
  const onDisk = oauthOf(disk);
  const snapshot = snapshotOf(disk.parsed, disk.text);
  if (!onDisk) return { kind: 'adopted', secret: disk.parsed.secret, snapshot };
  const adoptedFirst = tokensDiffer(onDisk, context.held);
  if (adoptedFirst && !context.stillDue(onDisk)) return { kind: 'adopted', secret: onDisk, snapshot };
  const adopted = adoptedFirst ? { secret: onDisk, snapshot } : undefined;
  const dead = context.knownDead(onDisk.refreshToken);
  if (dead) return { kind: 'failed', error: dead, ...(adopted ? { adopted } : {}) };
  let tokens: RefreshedTokens;
  try {
    tokens = await context.refresh(onDisk.refreshToken);
  } catch (error) {
    const refreshError = error instanceof RefreshError ? error : new RefreshError('transient', (error as Error).message);
    return afterFailure(context, disk, onDisk, refreshError, adopted);
  }
  return writeBack(context, disk, mergeRefreshed(onDisk, tokens, context.now()));
}

/** A permanent failure may be explained by a newer token on disk (written during our call): look once more. */
async function afterFailure(
  context: SyncContext,
  disk: GoodRead,
  presented: OAuthSecret,
  error: RefreshError,
  adopted: { secret: OAuthSecret; snapshot: TokenFileSnapshot } | undefined,
): Promise<SyncOutcome> {
  if (error.kind === 'permanent') {
    const again = await readTokenFileSteady(context.file);
    const newer = again.ok ? oauthOf(again) : undefined;
    if (again.ok && newer && again.text !== disk.text && tokensDiffer(newer, presented)) {
      return { kind: 'adopted', secret: newer, snapshot: snapshotOf(again.parsed, again.text) };
    }
  }
  return { kind: 'failed', error, ...(adopted ? { adopted } : {}) };
}

/**
 * Writes the refreshed tokens. The Codex CLI does not lock, so the file is read once more first: new tokens there
 * (a login during our call) win over ours; other edits are kept and ours merged into them.
 */
async function writeBack(context: SyncContext, disk: GoodRead, secret: OAuthSecret): Promise<SyncOutcome> {
  const latest = await readTokenFileSteady(context.file);
  if (!latest.ok) return { kind: 'refreshed', secret, snapshot: undefined, written: false, notWrittenBecause: latest.reason };
  const latestSecret = oauthOf(latest);
  if (latest.text !== disk.text) {
    const presented = oauthOf(disk);
    if (!latestSecret || (presented && tokensDiffer(latestSecret, presented))) {
      return { kind: 'adopted', secret: latest.parsed.secret, snapshot: snapshotOf(latest.parsed, latest.text) };
    }
  }
  try {
    const snapshot = await writeOAuthTokens(context.file, latest.parsed, secret);
    return { kind: 'refreshed', secret, snapshot, written: true };
  } catch (error) {
    // The old refresh token is spent: keep the new tokens in memory rather than lose them to a failed write.
    return { kind: 'refreshed', secret, snapshot: undefined, written: false, notWrittenBecause: (error as Error).message };
  }
}
