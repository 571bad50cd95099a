import { describe, expect, it } from 'vitest';
import { emptyStats, type Credential } from '../../src/credentials/credential.js';
import { CredentialPool } from '../../src/credentials/pool.js';
import { chooseForSession, fairShare, rebalanceTarget, stickyCap } from '../../src/credentials/selection.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const HOUR = 3600_000;

function credential(id: string, extra: Partial<Credential> = {}): Credential {
  return { id, source: 'config', tokenFile: `/auth/${id}.json`, extraHeaders: {}, queryParams: {}, disabled: false, state: 'active', kind: 'oauth', stats: emptyStats(), ...extra };
}

function coolDown(target: Credential, until: number): void {
  target.state = 'cooldown';
  target.cooldownUntil = until;
  target.cooldownHard = true;
}

describe('bounded share (pure)', () => {
  it('fair share rounds up; the cap adds a quarter of it, at least one', () => {
    expect(fairShare(10, 2)).toBe(5);
    expect(fairShare(11, 3)).toBe(4);
    expect(stickyCap(10, 2)).toBe(7);
    expect(stickyCap(2, 2)).toBe(2);
    expect(stickyCap(100, 4)).toBe(32);
    expect(stickyCap(5, 0)).toBe(7);
  });

  it('a new conversation skips a credential at its cap; fill-first has no cap', () => {
    const [a, b] = [credential('a'), credential('b')];
    const counts = { a: 7, b: 2 };
    expect(chooseForSession([a, b], 'round-robin', ['a', 'b'], 'b', counts, 10).id).toBe('b');
    expect(chooseForSession([a, b], 'round-robin', ['a', 'b'], 'b', { a: 3, b: 3 }, 7).id).toBe('a');
    expect(chooseForSession([a, b], 'fill-first', ['a', 'b'], 'b', counts, 10).id).toBe('a');
  });

  it('moves a pinned conversation only off a credential over its cap, to one below its fair share', () => {
    const [a, b, c] = [credential('a'), credential('b'), credential('c')];
    expect(rebalanceTarget(a, [a, b], 'round-robin', { a: 8, b: 2 }, 10)?.id).toBe('b');
    expect(rebalanceTarget(a, [a, b], 'round-robin', { a: 7, b: 3 }, 10)).toBeUndefined();
    expect(rebalanceTarget(a, [a, b, c], 'round-robin', { a: 9, b: 1, c: 0 }, 10)?.id).toBe('c');
    expect(rebalanceTarget(a, [a, b], 'fill-first', { a: 10 }, 10)).toBeUndefined();
    expect(rebalanceTarget(a, [a], 'round-robin', { a: 10 }, 10)).toBeUndefined();
  });
});

describe('sticky sessions in the pool', () => {
  it('round-robin over three: 30 new conversations make 10 pins each, and turns stay put', () => {
    const pool = new CredentialPool([credential('a'), credential('b'), credential('c')], 'round-robin');
    const first = Array.from({ length: 30 }, (_, i) => pool.pick(NOW, { stickyKey: `s${i}` })!.id);
    expect(pool.stickyCounts(NOW)).toEqual({ a: 10, b: 10, c: 10 });
    const again = Array.from({ length: 30 }, (_, i) => pool.pick(NOW + 1000, { stickyKey: `s${i}` })!.id);
    expect(again).toEqual(first);
  });

  it('after a cooldown moved every conversation to one account, the share is bounded again as they come back', () => {
    const a = credential('a');
    const pool = new CredentialPool([a, credential('b')], 'round-robin');
    for (let i = 0; i < 20; i += 1) pool.pick(NOW, { stickyKey: `s${i}` });
    expect(pool.stickyCounts(NOW)).toEqual({ a: 10, b: 10 });
    coolDown(a, NOW + 60_000);
    for (let i = 0; i < 20; i += 1) expect(pool.pick(NOW + 1, { stickyKey: `s${i}` })!.id).toBe('b');
    expect(pool.stickyCounts(NOW + 1)).toEqual({ b: 20 });
    // a is back: a turn of a conversation held over b's cap (10 + 3) moves, until b is at its cap.
    const turns = Array.from({ length: 20 }, (_, i) => pool.pick(NOW + 60_000, { stickyKey: `s${i}` })!.id);
    expect(turns.filter((id) => id === 'a')).toHaveLength(7);
    expect(pool.stickyCounts(NOW + 60_000)).toEqual({ a: 7, b: 13 });
    // The next turns stay where they are now: no churn.
    const next = Array.from({ length: 20 }, (_, i) => pool.pick(NOW + 61_000, { stickyKey: `s${i}` })!.id);
    expect(next).toEqual(turns);
    // New conversations follow the rotation while both are under their cap, and no account goes over it.
    const fresh = Array.from({ length: 6 }, (_, i) => pool.pick(NOW + 62_000, { stickyKey: `new${i}` })!.id);
    expect(fresh).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(pool.stickyCounts(NOW + 62_000)).toEqual({ a: 10, b: 16 });
    expect(16).toBeLessThanOrEqual(stickyCap(26, 2));
    // An account at its cap gets no new conversation (b holds 4 of 5, cap 4; of 6, cap 4; of 7, cap 5).
    const capped = new CredentialPool([credential('a'), credential('b')], 'round-robin');
    for (let i = 0; i < 4; i += 1) capped.pick(NOW, { stickyKey: `p${i}` });
    capped.get('a')!.state = 'cooldown';
    capped.get('a')!.cooldownUntil = NOW + 1000;
    for (let i = 0; i < 4; i += 1) capped.pick(NOW, { stickyKey: `p${i}` });
    capped.get('a')!.state = 'active';
    expect(capped.stickyCounts(NOW + 1000)).toEqual({ b: 4 });
    expect(Array.from({ length: 3 }, (_, i) => capped.pick(NOW + 1000, { stickyKey: `q${i}` })!.id)).toEqual(['a', 'a', 'b']);
  });

  it('fill-first keeps every conversation on the first account while it is usable', () => {
    const pool = new CredentialPool([credential('a'), credential('b')], 'fill-first');
    for (let i = 0; i < 10; i += 1) expect(pool.pick(NOW, { stickyKey: `s${i}` })!.id).toBe('a');
    expect(pool.stickyCounts(NOW)).toEqual({ a: 10 });
  });

  it('a pin expires an hour after its last turn, and a removed credential loses its pins', () => {
    const pool = new CredentialPool([credential('a'), credential('b')], 'round-robin');
    pool.pick(NOW, { stickyKey: 'old' });
    pool.pick(NOW + 30 * 60_000, { stickyKey: 'old' });
    expect(pool.stickyCounts(NOW + 89 * 60_000)).toEqual({ a: 1 });
    expect(pool.stickyCounts(NOW + 30 * 60_000 + HOUR)).toEqual({});
    pool.pick(NOW + 2 * HOUR, { stickyKey: 'x' });
    pool.pick(NOW + 2 * HOUR, { stickyKey: 'y' });
    expect(pool.stickyCounts(NOW + 2 * HOUR)).toEqual({ a: 1, b: 1 });
    pool.remove('a');
    expect(pool.stickyCounts(NOW + 2 * HOUR)).toEqual({ b: 1 });
  });

  it('tracks the requests holding each credential; release is idempotent', () => {
    const pool = new CredentialPool([credential('a')], 'round-robin');
    const first = pool.acquire('a');
    const second = pool.acquire('a');
    expect(pool.inFlight()).toEqual({ a: 2 });
    first();
    first();
    expect(pool.inFlight()).toEqual({ a: 1 });
    second();
    expect(pool.inFlight()).toEqual({});
  });
});
