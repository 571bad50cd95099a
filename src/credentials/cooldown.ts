import type { ProxyError } from '../errors.js';
import type { Credential } from './credential.js';

/** Base and cap of the short exponential cooldown for 5xx, transport errors and 429s without a reset time. */
const SHORT_COOLDOWN_BASE_MS = 1_000;
const SHORT_COOLDOWN_CAP_MS = 60_000;
/** A usage limit without any reset time: look again in an hour (a probe may clear it sooner). */
const UNKNOWN_RESET_MS = 60 * 60 * 1000;

/** Consecutive failures per credential, so the short cooldown grows 1 s, 2 s, 4 s … up to a minute. */
const consecutiveFailures = new WeakMap<Credential, number>();

/** Records a success: the credential's short-cooldown streak starts over. */
export function noteSuccess(credential: Credential, now: number): void {
  consecutiveFailures.delete(credential);
  credential.stats.successes += 1;
  credential.stats.lastUsedAt = now;
  if (credential.state === 'cooldown') {
    credential.state = 'active';
    credential.cooldownUntil = undefined;
    credential.cooldownHard = undefined;
    credential.reason = undefined;
  }
}

/**
 * Records a credential fault and cools the credential down: until the upstream's reset time for a usage limit,
 * else a short exponential backoff. Request faults (bad input) never reach here.
 */
export function coolDownAfter(credential: Credential, error: ProxyError, now: number): void {
  credential.stats.failures += 1;
  credential.stats.lastError = error.message;
  credential.stats.lastUsedAt = now;
  if (credential.state === 'needs_login' || credential.state === 'invalid') return;
  let until: number;
  if (error.code === 'usage_limit_reached') {
    until = error.retryAfterSeconds !== undefined ? now + error.retryAfterSeconds * 1000 : now + UNKNOWN_RESET_MS;
  } else if (error.retryAfterSeconds !== undefined) {
    until = now + error.retryAfterSeconds * 1000;
  } else {
    const streak = (consecutiveFailures.get(credential) ?? 0) + 1;
    consecutiveFailures.set(credential, streak);
    until = now + Math.min(SHORT_COOLDOWN_CAP_MS, SHORT_COOLDOWN_BASE_MS * 2 ** (streak - 1));
  }
  credential.state = 'cooldown';
  credential.cooldownUntil = until;
  credential.cooldownHard = error.code === 'usage_limit_reached' || error.retryAfterSeconds !== undefined;
  credential.reason = error.code === 'usage_limit_reached' ? `usage limit reached; resets at ${new Date(until).toISOString()}` : `${error.code}: ${error.message}`;
}
