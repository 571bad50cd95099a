import { afterEach, describe, expect, it } from 'vitest';
import { answerText, startPool, type PoolRig } from './pool-kit.js';

let rig: PoolRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const MINUTE = 60_000;

describe('usage limits and quota windows', () => {
  it('skips a limited account until its reset, then brings it back', async () => {
    rig = await startPool(['a', 'b']);
    rig.limit('a', 1200);
    const results = [];
    for (let i = 0; i < 6; i += 1) results.push(await rig.chat(`q${i}`));
    expect(results.every((result) => result.status === 200 && result.credential === 'b')).toBe(true);
    // a was asked once (the 429), then skipped: 0 further calls while it cools down.
    expect(rig.counts()).toEqual({ a: 1, b: 6 });
    const view = (await rig.admin()).a!;
    expect(view.state).toBe('cooldown');
    expect(Date.parse(view.cooldown_until!)).toBe(rig.clock.now() + 1200_000);

    rig.clock.advance(1199_000);
    await rig.chat('still cooling');
    expect(rig.counts()).toEqual({ a: 1, b: 7 });

    rig.lift('a');
    rig.clock.advance(1_000);
    const back = [];
    for (let i = 0; i < 4; i += 1) back.push((await rig.chat(`after reset ${i}`)).credential);
    // b holds the 7 conversations of the cooldown, over its fair share + slack: new ones go to a until that evens out.
    expect(back).toEqual(['a', 'a', 'a', 'b']);
    expect(rig.counts()).toEqual({ a: 4, b: 8 });
    expect((await rig.admin()).a?.state).toBe('active');
  });

  it('both limited: one 429 that names the earliest reset, with Retry-After; nothing is sent until then', async () => {
    rig = await startPool(['a', 'b']);
    rig.limit('a', 1800);
    rig.limit('b', 600);
    const first = await rig.chat('anyone?');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('600');
    const earliest = new Date(rig.clock.now() + 600_000).toISOString();
    expect(first.json.error).toMatchObject({ code: 'usage_limit_reached', type: 'rate_limit_error' });
    expect(first.json.error.message).toContain(earliest);
    expect(first.json.error.message).toMatch(/Every credential \(a, b\)/);
    expect(rig.counts()).toEqual({ a: 1, b: 1 });

    rig.clock.advance(4 * MINUTE);
    const again = await rig.chat('anyone now?');
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe('360');
    expect(again.json.error.message).toContain(earliest);
    expect(rig.counts()).toEqual({ a: 1, b: 1 });

    rig.lift('b');
    rig.clock.advance(6 * MINUTE);
    const served = await rig.chat('b is back');
    expect(served.status).toBe(200);
    expect(served.credential).toBe('b');
    expect(rig.counts()).toEqual({ a: 1, b: 2 });
  });

  it('skips an account whose x-codex quota header says 100 % before it fails', async () => {
    rig = await startPool(['a', 'b']);
    const resetAt = Math.floor(rig.clock.now() / 1000) + 900;
    rig.codex.setAccountQuota(rig.account('a'), { primaryUsedPercent: 100, primaryResetAt: resetAt });
    const results = [];
    for (let i = 0; i < 6; i += 1) results.push(await rig.chat(`q${i}`));
    // a answered its request (the last one its window allowed) and said so in the headers: never asked again.
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(rig.counts()).toEqual({ a: 1, b: 5 });
    expect(rig.codex.responsesCalls().every((call) => call.status === 200)).toBe(true);
    expect((await rig.admin()).a).toMatchObject({ state: 'cooldown', failures: 0 });

    rig.codex.setAccountQuota(rig.account('a'), undefined);
    rig.clock.advance(900_000);
    const back = [];
    for (let i = 0; i < 2; i += 1) back.push((await rig.chat(`after ${i}`)).credential);
    expect(back).toEqual(['a', 'a']);
    expect(rig.counts()).toEqual({ a: 3, b: 5 });
  });
});

describe('quota probes: a cooldown clears sooner when a cheap probe says the limit is gone', () => {
  it('probes at most once per interval and clears the cooldown when wham/usage shows the window below 100 %', async () => {
    rig = await startPool(['a', 'b'], { config: 'routing:\n  quota_probe_interval_seconds: 60\n' });
    rig.limit('a', 3600);
    expect((await rig.chat('q0')).credential).toBe('b');
    expect(rig.counts()).toEqual({ a: 1, b: 1 });

    rig.clock.advance(30_000);
    await rig.chat('q1');
    expect(rig.probes()).toEqual({ a: 0, b: 0 });

    // 61 s into the cooldown: one probe; the account still reports 100 %, so the cooldown stays (until its reset).
    rig.clock.advance(31_000);
    await rig.chat('q2');
    await expect.poll(() => rig!.probes().a).toBe(1);
    await expect.poll(async () => (await rig!.admin()).a?.state).toBe('cooldown');
    for (let i = 0; i < 3; i += 1) await rig.chat(`q3-${i}`);
    expect(rig.probes()).toEqual({ a: 1, b: 0 });

    // The limit is lifted early (say, a plan upgrade). Within the interval nobody looks; after it, one probe clears it.
    rig.lift('a');
    rig.clock.advance(30_000);
    await rig.chat('q4');
    expect(rig.probes().a).toBe(1);
    rig.clock.advance(31_000);
    await rig.chat('q5');
    await expect.poll(async () => (await rig!.admin()).a?.state).toBe('active');
    expect(rig.probes()).toEqual({ a: 2, b: 0 });
    expect(rig.daemon.logs()).toContain('the limit was lifted before its reset');

    // 58 minutes before its announced reset, a serves again (b holds the 8 conversations of the cooldown, so a gets the new ones).
    const served = [];
    for (let i = 0; i < 4; i += 1) served.push((await rig.chat(`q6-${i}`)).credential);
    expect(served).toEqual(['a', 'a', 'a', 'a']);
    expect(rig.counts()).toEqual({ a: 5, b: 8 });
  });

  it('a request that finds every account limited waits for a due probe and is served when it clears one', async () => {
    rig = await startPool(['a', 'b'], { config: 'routing:\n  quota_probe_interval_seconds: 60\n' });
    rig.limit('a', 3600);
    rig.limit('b', 7200);
    expect((await rig.chat('x')).status).toBe(429);
    rig.lift('a');
    rig.clock.advance(61_000);
    const served = await rig.chat('after the probe');
    expect(served.status).toBe(200);
    expect(answerText(served)).toBe('echo: after the probe');
    expect(served.credential).toBe('a');
    expect(rig.probes()).toEqual({ a: 1, b: 1 });
    expect((await rig.admin()).b?.state).toBe('cooldown');
    expect(rig.counts()).toEqual({ a: 2, b: 1 });
  });

  it('quota_probe_interval_seconds: 0 turns probes off: the cooldown lasts until its reset', async () => {
    rig = await startPool(['a', 'b'], { config: 'routing:\n  quota_probe_interval_seconds: 0\n' });
    rig.limit('a', 3600);
    await rig.chat('x');
    rig.lift('a');
    rig.clock.advance(30 * MINUTE);
    for (let i = 0; i < 3; i += 1) expect((await rig.chat(`y${i}`)).credential).toBe('b');
    expect(rig.probes()).toEqual({ a: 0, b: 0 });
  });
});
