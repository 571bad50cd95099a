import { describe, expect, it } from 'vitest';
import { emptyStats, type Credential } from '../../src/credentials/credential.js';
import { CredentialPool } from '../../src/credentials/pool.js';
import { quotaExhaustedUntil, quotaFromHeaders, quotaLabel } from '../../src/credentials/quota.js';
import { effectiveState } from '../../src/credentials/selection.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');

function credential(id: string, extra: Partial<Credential> = {}): Credential {
  return { id, source: 'config', tokenFile: `/auth/${id}.json`, extraHeaders: {}, queryParams: {}, disabled: false, state: 'active', kind: 'api_key', stats: emptyStats(), ...extra };
}

function picks(pool: CredentialPool, count: number, now = NOW, stickyKey?: (i: number) => string): string[] {
  return Array.from({ length: count }, (_, i) => pool.pick(now, { stickyKey: stickyKey?.(i) })?.id ?? 'none');
}

describe('credential pool selection', () => {
  it('round-robin spreads requests evenly', () => {
    const pool = new CredentialPool([credential('a'), credential('b'), credential('c')], 'round-robin');
    const counts = picks(pool, 300).reduce<Record<string, number>>((acc, id) => ({ ...acc, [id]: (acc[id] ?? 0) + 1 }), {});
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('fill-first drains the first usable credential first', () => {
    const a = credential('a');
    const pool = new CredentialPool([a, credential('b')], 'fill-first');
    expect(picks(pool, 5)).toEqual(['a', 'a', 'a', 'a', 'a']);
    a.state = 'cooldown';
    a.cooldownUntil = NOW + 1000;
    expect(picks(pool, 2)).toEqual(['b', 'b']);
    expect(picks(pool, 1, NOW + 1000)).toEqual(['a']);
  });

  it('never picks disabled, invalid or needs_login credentials', () => {
    const pool = new CredentialPool([credential('off', { disabled: true }), credential('bad', { state: 'invalid' }), credential('login', { state: 'needs_login' }), credential('ok')], 'round-robin');
    expect(new Set(picks(pool, 10))).toEqual(new Set(['ok']));
  });

  it('skips a credential whose quota window is at 100 % until its reset', () => {
    const limited = credential('a', { quota: { primary: { usedPercent: 100, windowMinutes: 300, resetsAt: NOW + 60_000 }, capturedAt: NOW } });
    const pool = new CredentialPool([limited, credential('b')], 'round-robin');
    expect(new Set(picks(pool, 4))).toEqual(new Set(['b']));
    expect(effectiveState(limited, NOW)).toBe('cooldown');
    expect(picks(pool, 4, NOW + 60_000).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('keeps a conversation on its credential, and moves it when that one cools down', () => {
    const a = credential('a');
    const pool = new CredentialPool([a, credential('b')], 'round-robin');
    const first = pool.pick(NOW, { stickyKey: 'conv-1' })!.id;
    expect(picks(pool, 5, NOW, () => 'conv-1')).toEqual(Array(5).fill(first));
    const pinned = pool.get(first)!;
    pinned.state = 'cooldown';
    pinned.cooldownUntil = NOW + 10_000;
    const moved = pool.pick(NOW, { stickyKey: 'conv-1' })!.id;
    expect(moved).not.toBe(first);
    expect(picks(pool, 3, NOW, () => 'conv-1')).toEqual([moved, moved, moved]);
  });

  it('spreads new conversations across credentials instead of piling them on one', () => {
    const pool = new CredentialPool([credential('a'), credential('b')], 'round-robin');
    picks(pool, 10, NOW, (i) => `conv-${i}`);
    expect(pool.stickyCounts(NOW)).toEqual({ a: 5, b: 5 });
  });

  it('describes exhaustion with the earliest reset when every credential cools down', () => {
    const pool = new CredentialPool(
      [credential('a', { state: 'cooldown', cooldownUntil: NOW + 90_000, cooldownHard: true }), credential('b', { state: 'cooldown', cooldownUntil: NOW + 30_000, cooldownHard: true })],
      'round-robin',
    );
    expect(pool.pick(NOW)).toBeUndefined();
    const exhaustion = pool.exhaustion(NOW);
    expect(exhaustion).toMatchObject({ allCoolingDown: true, allLimited: true, earliestResetMs: NOW + 30_000 });
    expect(exhaustion.summary).toContain('a: cooldown until');
    expect(pool.countByState(NOW)).toMatchObject({ cooldown: 2, active: 0 });
  });
});

describe('last resort', () => {
  it('tries the soft cooldown that ends first rather than refusing, but never a hard one', () => {
    const soft = credential('soft', { state: 'cooldown', cooldownUntil: NOW + 4_000 });
    const softer = credential('softer', { state: 'cooldown', cooldownUntil: NOW + 2_000 });
    const hard = credential('hard', { state: 'cooldown', cooldownUntil: NOW + 1_000, cooldownHard: true });
    const pool = new CredentialPool([soft, softer, hard], 'round-robin');
    expect(pool.pick(NOW)?.id).toBe('softer');
    expect(pool.pick(NOW, { exclude: new Set(['softer']) })?.id).toBe('soft');
    expect(pool.pick(NOW, { exclude: new Set(['softer', 'soft']) })).toBeUndefined();
    expect(pool.exhaustion(NOW).allLimited).toBe(false);
  });
});

describe('quota headers', () => {
  it('reads both windows, the plan and reset times', () => {
    const quota = quotaFromHeaders(
      {
        'x-codex-primary-used-percent': '12.5',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-at': String((NOW + 3_600_000) / 1000),
        'x-codex-secondary-used-percent': '40',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-after-seconds': '7200',
        'x-codex-plan-type': 'plus',
      },
      NOW,
    );
    expect(quota).toEqual({
      primary: { usedPercent: 12.5, windowMinutes: 300, resetsAt: NOW + 3_600_000 },
      secondary: { usedPercent: 40, windowMinutes: 10080, resetsAt: NOW + 7_200_000 },
      plan: 'plus',
      activeLimit: undefined,
      capturedAt: NOW,
    });
    expect(quotaLabel(quota)).toBe('5h 13% · 7d 40%');
    expect(quotaExhaustedUntil(quota, NOW)).toBeUndefined();
    expect(quotaFromHeaders({ 'content-type': 'text/event-stream' }, NOW)).toBeUndefined();
  });
});
