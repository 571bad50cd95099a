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

/** A credential's fair share of the live conversations: all of them spread over the usable credentials, rounded up. */
export function fairShare(liveSessions: number, usableCount: number): number {
  return Math.ceil(liveSessions / Math.max(1, usableCount));
}

/** How many conversations one credential may hold beyond its fair share before it gets no new ones. */
export function stickySlack(fair: number): number {
  return Math.max(1, Math.ceil(fair / 4));
}

/**
 * The most conversations one usable credential should hold: its fair share plus a slack, so ordinary imbalance
 * costs no cache hits but no account ends up holding them all.
 */
export function stickyCap(liveSessions: number, usableCount: number): number {
  const fair = fairShare(liveSessions, usableCount);
  return fair + stickySlack(fair);
}

/**
 * Where a conversation without a (usable) pin goes, `liveSessions` counting it: by strategy among the usable
 * credentials under the cap (a credential holding more than its fair share plus slack gets no new conversation),
 * else among all. Fill-first has no cap: draining one account first is what it asks for, sessions included.
 */
export function chooseForSession(
  usable: readonly Credential[],
  strategy: Strategy,
  order: readonly string[],
  lastUsedId: string | undefined,
  counts: Readonly<Record<string, number>>,
  liveSessions: number,
): Credential {
  if (strategy === 'fill-first') return chooseByStrategy(usable, strategy, order, lastUsedId);
  const cap = stickyCap(liveSessions, usable.length);
  const open = usable.filter((credential) => (counts[credential.id] ?? 0) < cap);
  return chooseByStrategy(open.length > 0 ? open : usable, strategy, order, lastUsedId);
}

/**
 * Whether a conversation pinned to `holder` should move to rebalance: only under round-robin, only when the
 * holder is over the cap, and only to a usable credential below its fair share (so each move helps). Returns the
 * credential to move to (the least loaded, pool order breaking ties), else undefined.
 */
export function rebalanceTarget(
  holder: Credential,
  usable: readonly Credential[],
  strategy: Strategy,
  counts: Readonly<Record<string, number>>,
  liveSessions: number,
): Credential | undefined {
  if (strategy !== 'round-robin') return undefined;
  const held = (credential: Credential) => counts[credential.id] ?? 0;
  if (held(holder) <= stickyCap(liveSessions, usable.length)) return undefined;
  const fair = fairShare(liveSessions, usable.length);
  let best: Credential | undefined;
  for (const credential of usable) {
    if (credential.id === holder.id || held(credential) >= fair) continue;
    if (!best || held(credential) < held(best)) best = credential;
  }
  return best;
}
