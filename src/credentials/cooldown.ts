import type { ProxyError } from '../errors.js';
import type { Credential } from './credential.js';
import { quotaExhaustedUntil, type QuotaSnapshot } from './quota.js';

/** Base and cap of the short exponential cooldown for 5xx, transport errors and 429s without a reset time. */
const SHORT_COOLDOWN_BASE_MS = 1_000;
const SHORT_COOLDOWN_CAP_MS = 60_000;
/** A usage limit without any reset time: look again in an hour (a probe may clear it sooner). */
const UNKNOWN_RESET_MS = 60 * 60 * 1000;

/**
 * What kind of cooldown a credential is in: `quota` (a usage limit until its reset; a probe may clear it early),
 * `retry-after` (the upstream said how long), `fault` (5xx, network, timeout: short exponential backoff).
 */
export type CooldownKind = 'quota' | 'retry-after' | 'fault';

interface CooldownRecord {
  kind: CooldownKind;
  /** When the cooldown began (ms). */
  since: number;
}

/** Consecutive failures per credential, so the short cooldown grows 1 s, 2 s, 4 s … up to a minute. */
const consecutiveFailures = new WeakMap<Credential, number>();
const cooldowns = new WeakMap<Credential, CooldownRecord>();

function clearCooldown(credential: Credential): void {
  cooldowns.delete(credential);
  if (credential.state !== 'cooldown') return;
  credential.state = 'active';
  credential.cooldownUntil = undefined;
  credential.cooldownHard = undefined;
  credential.reason = undefined;
}

/** Records a success: the credential's short-cooldown streak starts over and any cooldown it was in ends. */
export function noteSuccess(credential: Credential, now: number): void {
  consecutiveFailures.delete(credential);
  credential.stats.successes += 1;
  credential.stats.lastUsedAt = now;
  clearCooldown(credential);
}

/** The short backoff the n-th consecutive fault earns: 1 s, 2 s, 4 s … capped at 60 s. */
export function shortCooldownMs(streak: number): number {
  return Math.min(SHORT_COOLDOWN_CAP_MS, SHORT_COOLDOWN_BASE_MS * 2 ** Math.max(0, streak - 1));
}

/**
 * Records a credential fault and cools the credential down: until the upstream's reset time for a usage limit,
 * for Retry-After when the upstream gave one, else a short exponential backoff. Request faults never reach here.
 */
export function coolDownAfter(credential: Credential, error: ProxyError, now: number): void {
  credential.stats.failures += 1;
  credential.stats.lastError = error.message;
  credential.stats.lastUsedAt = now;
  if (credential.state === 'needs_login' || credential.state === 'invalid') return;
  let until: number;
  let kind: CooldownKind;
  if (error.code === 'usage_limit_reached') {
    kind = 'quota';
    until = error.retryAfterSeconds !== undefined ? now + error.retryAfterSeconds * 1000 : now + UNKNOWN_RESET_MS;
  } else if (error.retryAfterSeconds !== undefined) {
    kind = 'retry-after';
    until = now + error.retryAfterSeconds * 1000;
  } else {
    kind = 'fault';
    const streak = (consecutiveFailures.get(credential) ?? 0) + 1;
    consecutiveFailures.set(credential, streak);
    until = now + shortCooldownMs(streak);
  }
  credential.state = 'cooldown';
  credential.cooldownUntil = until;
  credential.cooldownHard = kind !== 'fault';
  credential.reason = kind === 'quota' ? `usage limit reached; resets at ${new Date(until).toISOString()}` : `${error.code}: ${error.message}`;
  cooldowns.set(credential, { kind, since: now });
}

/** The kind of the cooldown a credential is in at `now` (a spent quota window counts as `quota`); else undefined. */
export function cooldownKind(credential: Credential, now: number): CooldownKind | undefined {
  if (quotaExhaustedUntil(credential.quota, now) !== undefined) return 'quota';
  if (credential.state !== 'cooldown' || (credential.cooldownUntil ?? 0) <= now) return undefined;
  return cooldowns.get(credential)?.kind ?? (credential.cooldownHard ? 'retry-after' : 'fault');
}

/** When the quota cooldown began: the 429 that set it, else when the spent window was reported. */
export function quotaCooldownSince(credential: Credential): number | undefined {
  const record = cooldowns.get(credential);
  if (record?.kind === 'quota') return record.since;
  return credential.quota?.capturedAt;
}

/** Probes are not worth it for a cooldown that ends this soon anyway. */
const PROBE_MIN_REMAINING_MS = 15_000;

/**
 * Pure: is a quota probe due for this credential at `now`? Only for an OAuth credential in a quota cooldown that
 * has more than a few seconds left, at most once per `intervalMs` since the cooldown began or the last probe.
 */
export function probeDue(credential: Credential, now: number, lastProbeAt: number | undefined, intervalMs: number, cooldownEnd: number | undefined): boolean {
  if (intervalMs <= 0 || credential.disabled || credential.kind !== 'oauth') return false;
  if (credential.state === 'needs_login' || credential.state === 'invalid') return false;
  if (cooldownKind(credential, now) !== 'quota' || cooldownEnd === undefined || cooldownEnd - now <= PROBE_MIN_REMAINING_MS) return false;
  const since = Math.max(lastProbeAt ?? Number.NEGATIVE_INFINITY, quotaCooldownSince(credential) ?? Number.NEGATIVE_INFINITY);
  return now - since >= intervalMs;
}

/** What a probe told us. */
export type ProbeVerdict = 'cleared' | 'still-limited';

/**
 * Applies a probe's quota picture: every window below 100 % ends a quota cooldown now (the limit was lifted early);
 * a window still spent moves the cooldown to the reset the upstream reports now. Other cooldowns are untouched.
 */
export function applyProbe(credential: Credential, quota: QuotaSnapshot, now: number): ProbeVerdict {
  credential.quota = quota;
  const spentUntil = quotaExhaustedUntil(quota, now);
  const inQuotaCooldown = credential.state === 'cooldown' && cooldowns.get(credential)?.kind === 'quota';
  if (spentUntil === undefined) {
    if (inQuotaCooldown) clearCooldown(credential);
    return 'cleared';
  }
  if (inQuotaCooldown) {
    credential.cooldownUntil = spentUntil;
    credential.reason = `usage limit reached; resets at ${new Date(spentUntil).toISOString()}`;
  }
  return 'still-limited';
}
