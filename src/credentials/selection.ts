import type { Credential } from './credential.js';
import type { CredentialState } from './types.js';
import { quotaExhaustedUntil } from './quota.js';

export type Strategy = 'round-robin' | 'fill-first';

/** When the credential's cooldown ends: its own cooldown, or a quota window at 100 % until its reset; else undefined. */
export function cooldownEnd(credential: Credential, now: number): number | undefined {
  const own = credential.state === 'cooldown' && credential.cooldownUntil !== undefined && credential.cooldownUntil > now ? credential.cooldownUntil : undefined;
  const quota = quotaExhaustedUntil(credential.quota, now);
  if (own === undefined) return quota;
  return quota === undefined ? own : Math.max(own, quota);
}

/** The state a credential is in at `now`: a cooldown whose time has passed counts as active. */
export function effectiveState(credential: Credential, now: number): CredentialState {
  if (credential.disabled) return 'disabled';
  if (credential.state === 'needs_login' || credential.state === 'invalid') return credential.state;
  if (cooldownEnd(credential, now) !== undefined) return 'cooldown';
  return credential.state === 'cooldown' ? 'active' : credential.state;
}

/** True when a request may be sent with this credential at `now` (a spent quota window is skipped before it fails). */
export function isUsable(credential: Credential, now: number): boolean {
  const state = effectiveState(credential, now);
  return state === 'active' || state === 'refreshing';
}

/** The credentials a request may use, in pool order. */
export function usableCredentials(credentials: readonly Credential[], now: number, exclude: ReadonlySet<string>): Credential[] {
  return credentials.filter((credential) => !exclude.has(credential.id) && isUsable(credential, now));
}

/**
 * Chooses one of `usable` (non-empty) by strategy. Round-robin takes the first usable credential after the one used
 * last (by pool position), so one that drops out or returns does not skew the rotation; fill-first takes the first.
 */
export function chooseByStrategy(
  usable: readonly Credential[],
  strategy: Strategy,
  order: readonly string[],
  lastUsedId: string | undefined,
): Credential {
  const first = usable[0];
  if (!first) throw new Error('chooseByStrategy needs at least one usable credential');
  if (strategy === 'fill-first' || lastUsedId === undefined) return first;
  const lastPosition = order.indexOf(lastUsedId);
  let best: Credential = first;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const credential of usable) {
    const position = order.indexOf(credential.id);
    const distance = (position - lastPosition + order.length) % order.length || order.length;
    if (distance < bestDistance) {
      best = credential;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * When nothing is usable: the credential in a soft cooldown (after a 5xx or a network error, not a limit the upstream
 * set) whose cooldown ends first. Trying it beats refusing the request while the fault may already be over.
 */
export function lastResortCredential(credentials: readonly Credential[], now: number, exclude: ReadonlySet<string>): Credential | undefined {
  let best: Credential | undefined;
  for (const credential of credentials) {
    if (exclude.has(credential.id) || credential.disabled || credential.state !== 'cooldown' || credential.cooldownHard) continue;
    if (quotaExhaustedUntil(credential.quota, now) !== undefined) continue;
    if (!best || (credential.cooldownUntil ?? 0) < (best.cooldownUntil ?? 0)) best = credential;
  }
  return best;
}
