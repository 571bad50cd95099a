import type { Credential } from './credential.js';
import type { RefreshError } from './refresh.js';
import { accessTokenExpiry } from './token-expiry.js';
import type { OAuthSecret } from './types.js';

/** The fix we name with every permanent failure. */
export const LOGIN_FIX = 'run `proxycast login` or `codex login`';

/** First wait after a transient refresh failure; doubles per failure up to the cap. */
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_CAP_MS = 5 * 60_000;

/** What the token manager remembers per credential between calls. */
export interface Lifecycle {
  inflight?: Promise<unknown> | undefined;
  transientFailures: number;
  /** No network refresh before this time (ms), after a transient failure. */
  nextAttemptAt?: number | undefined;
  /** The state we set, so we only undo our own states and never a cooldown the pool set (a usage limit). */
  ownState?: 'refreshing' | 'cooldown' | undefined;
}

/** The wait before the next attempt after `failures` consecutive transient failures: 5 s, 10 s, 20 s … 5 min. */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

function iso(ms: number | undefined): string {
  return ms === undefined ? 'an unknown time' : new Date(ms).toISOString();
}

/** Shows `refreshing` while a refresh is in flight, unless the credential is in a state someone else owns. */
export function markRefreshing(credential: Credential, life: Lifecycle): void {
  const ours = life.ownState !== undefined && credential.state === life.ownState;
  if (credential.state !== 'active' && !ours) return;
  credential.state = 'refreshing';
  life.ownState = 'refreshing';
}

/**
 * After a transient failure: back off. While the access token is still valid the credential stays usable (the
 * failure shows in stats.lastRefreshError); once it has expired the credential is `cooldown` until the next attempt.
 */
export function settleTransient(credential: Credential, life: Lifecycle, secret: OAuthSecret, error: RefreshError, now: number): void {
  life.transientFailures += 1;
  const nextAttemptAt = now + backoffMs(life.transientFailures);
  life.nextAttemptAt = nextAttemptAt;
  const expiry = accessTokenExpiry(secret);
  const stillValid = expiry === undefined || expiry > now;
  credential.stats.lastRefreshError = `${error.message}; next attempt after ${iso(nextAttemptAt)}`;
  const ours = life.ownState !== undefined && credential.state === life.ownState;
  if (!ours && credential.state !== 'active') return;
  if (stillValid) {
    credential.state = 'active';
    credential.reason = undefined;
    credential.cooldownUntil = undefined;
    life.ownState = undefined;
    return;
  }
  credential.state = 'cooldown';
  credential.cooldownUntil = nextAttemptAt;
  credential.reason = `refreshing the access token failed (${error.message}) and it expired at ${iso(expiry)}; next attempt after ${iso(nextAttemptAt)}`;
  life.ownState = 'cooldown';
}

/** After a permanent failure: `needs_login`, with the cause and the fix. */
export function settleNeedsLogin(credential: Credential, life: Lifecycle, cause: string): void {
  credential.state = 'needs_login';
  credential.reason = `${cause}; ${LOGIN_FIX}`;
  credential.cooldownUntil = undefined;
  credential.stats.lastRefreshError = credential.reason;
  life.ownState = undefined;
  life.nextAttemptAt = undefined;
}

/** The token file is gone (`needs_login`) or does not parse (`invalid`); it is left as it is. */
export function settleUnreadable(credential: Credential, life: Lifecycle, reason: string, missing: boolean): void {
  credential.state = missing ? 'needs_login' : 'invalid';
  credential.reason = missing
    ? `${reason} (removed, or the Codex CLI keeps its login in the OS keyring: set cli_auth_credentials_store = "file"); ${LOGIN_FIX}`
    : `${reason}; fix or replace the file (it is never overwritten), or ${LOGIN_FIX}`;
  credential.cooldownUntil = undefined;
  credential.stats.lastRefreshError = credential.reason;
  life.ownState = undefined;
}

/** New tokens (refreshed, or taken from the file): our own states and any "log in" state are over. */
export function settleFresh(credential: Credential, life: Lifecycle): void {
  const broken = credential.state === 'needs_login' || credential.state === 'invalid';
  const ours = life.ownState !== undefined && credential.state === life.ownState;
  life.transientFailures = 0;
  life.nextAttemptAt = undefined;
  life.ownState = undefined;
  if (broken || ours) {
    credential.state = 'active';
    credential.reason = undefined;
    credential.cooldownUntil = undefined;
  }
}
