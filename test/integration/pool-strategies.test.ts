import { afterEach, describe, expect, it } from 'vitest';
import { answerText, startPool, type PoolRig } from './pool-kit.js';

let rig: PoolRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('strategies over OAuth credentials (counted at the Codex mock)', () => {
  it('round-robin spreads requests evenly over three accounts', async () => {
    rig = await startPool(['a', 'b', 'c']);
    const served: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const result = await rig.chat(`question ${i}`);
      expect(result.status).toBe(200);
      expect(answerText(result)).toBe(`echo: question ${i}`);
      served.push(result.credential!);
    }
    expect(rig.counts()).toEqual({ a: 4, b: 4, c: 4 });
    expect(served.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
  });

  it('round-robin over two accounts: 5 and 5 out of 10', async () => {
    rig = await startPool(['a', 'b']);
    for (let i = 0; i < 10; i += 1) expect((await rig.chat(`q${i}`)).status).toBe(200);
    expect(rig.counts()).toEqual({ a: 5, b: 5 });
  });

  it('fill-first drains the first account, and the next takes over when it is limited', async () => {
    rig = await startPool(['a', 'b'], { config: 'routing:\n  strategy: fill-first\n' });
    for (let i = 0; i < 6; i += 1) expect((await rig.chat(`q${i}`)).credential).toBe('a');
    expect(rig.counts()).toEqual({ a: 6, b: 0 });
    rig.codex.setAccount(rig.account('a'), { scenario: 'usage-limit', resetsInSeconds: 600 });
    const moved = await rig.chat('q6');
    expect(moved.status).toBe(200);
    expect(moved.credential).toBe('b');
    for (let i = 7; i < 10; i += 1) expect((await rig.chat(`q${i}`)).credential).toBe('b');
    expect(rig.counts()).toEqual({ a: 7, b: 4 });
    rig.codex.setAccount(rig.account('a'), undefined);
    rig.clock.advance(600_000);
    expect((await rig.chat('q10')).credential).toBe('a');
    expect(rig.counts()).toEqual({ a: 8, b: 4 });
  });
});

describe('sticky sessions', () => {
  it('keeps a conversation on its account across turns, by prompt_cache_key, session_id header or derived key', async () => {
    rig = await startPool(['a', 'b', 'c']);
    const byKey = await Promise.all([1, 2, 3, 4].map(() => rig!.chat('turn', { prompt_cache_key: 'conv-key-1' }))).then((all) => new Set(all.map((r) => r.credential)));
    expect(byKey.size).toBe(1);
    const bySession: string[] = [];
    for (let i = 0; i < 4; i += 1) bySession.push((await rig.chat(`different text ${i}`, {}, { session_id: 'sess-42' })).credential!);
    expect(new Set(bySession).size).toBe(1);
    // No key at all: the same system prompt and first user message make the same derived conversation key.
    const derived: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'plan the refactor' }, ...Array.from({ length: i }, (_, n) => ({ role: 'assistant', content: `step ${n}` }))];
      if (i > 0) messages.push({ role: 'user', content: `continue ${i}` });
      derived.push((await rig.chat('', { messages })).credential!);
    }
    expect(new Set(derived).size).toBe(1);
    expect(rig.codex.responsesCalls()).toHaveLength(12);
  });

  it('moves a conversation when its account cools down, then keeps it on the new one', async () => {
    rig = await startPool(['a', 'b']);
    const first = await rig.chat('turn 1', { prompt_cache_key: 'conv-move' });
    const home = first.credential!;
    const other = home === 'a' ? 'b' : 'a';
    for (let i = 2; i <= 3; i += 1) expect((await rig.chat(`turn ${i}`, { prompt_cache_key: 'conv-move' })).credential).toBe(home);
    expect(rig.counts()[home]).toBe(3);
    rig.codex.setAccount(rig.account(home), { scenario: 'usage-limit', resetsInSeconds: 900 });
    const moved = await rig.chat('turn 4', { prompt_cache_key: 'conv-move' });
    expect(moved.status).toBe(200);
    expect(moved.credential).toBe(other);
    for (let i = 5; i <= 6; i += 1) expect((await rig.chat(`turn ${i}`, { prompt_cache_key: 'conv-move' })).credential).toBe(other);
    expect(rig.counts()).toEqual({ [home]: 4, [other]: 3 });
    const views = await rig.admin();
    expect(views[home]).toMatchObject({ state: 'cooldown', sticky_sessions: 0 });
    expect(views[other]).toMatchObject({ state: 'active', sticky_sessions: 1 });
  });

  it('never piles the sessions onto one account: after a cooldown moved them all, the share is rebalanced', async () => {
    rig = await startPool(['a', 'b']);
    const sessions = Array.from({ length: 10 }, (_, i) => `conv-${i}`);
    for (const key of sessions) await rig.chat('hello', { prompt_cache_key: key });
    expect(Object.fromEntries(Object.entries(await rig.admin()).map(([id, view]) => [id, view.sticky_sessions]))).toEqual({ a: 5, b: 5 });

    rig.codex.setAccount(rig.account('a'), { scenario: 'usage-limit', resetsInSeconds: 300 });
    for (const key of sessions) expect((await rig.chat('again', { prompt_cache_key: key })).status).toBe(200);
    expect((await rig.admin()).b?.sticky_sessions).toBe(10);

    rig.codex.setAccount(rig.account('a'), undefined);
    rig.clock.advance(300_000);
    for (const key of sessions) expect((await rig.chat('back', { prompt_cache_key: key })).status).toBe(200);
    const after = await rig.admin();
    // Fair share 5 + slack 2: b keeps 7 of its 10 (their cache keeps hitting), 3 move back to a.
    expect({ a: after.a?.sticky_sessions, b: after.b?.sticky_sessions }).toEqual({ a: 3, b: 7 });
    // New conversations: by round-robin, but none for an account over its fair share + slack.
    for (let i = 0; i < 6; i += 1) expect((await rig.chat('new', { prompt_cache_key: `fresh-${i}` })).status).toBe(200);
    const latest = await rig.admin();
    expect(latest.a!.sticky_sessions + latest.b!.sticky_sessions).toBe(16);
    expect(Math.max(latest.a!.sticky_sessions, latest.b!.sticky_sessions)).toBeLessThanOrEqual(8 + 2);
    expect(latest.b!.sticky_sessions).toBeLessThanOrEqual(10);
  });
});
