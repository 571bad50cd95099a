import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TimerApi } from '../../src/credentials/background-timer.js';
import { credentialFromFile, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const TEN_DAYS_MS = 10 * 24 * 3600 * 1000;
let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig({ refreshMarginSeconds: 300 });
});
afterEach(async () => rig.close());

/** Timers the test fires by hand. */
class HandTimers implements TimerApi {
  pending = new Map<number, { callback: () => void; ms: number }>();
  private next = 1;
  private onSet: (() => void) | undefined;
  set(callback: () => void, ms: number): number {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    this.onSet?.();
    return id;
  }
  /** Resolves when the next timer is set (the refresher re-arms after a pass has finished). */
  nextSet(): Promise<void> {
    return new Promise((resolve) => (this.onSet = resolve));
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.callback();
  }
}

describe('the background refresher', () => {
  it('refreshes idle credentials about to expire, leaves fresh ones and API keys alone', async () => {
    const soonFile = path.join(rig.dir, 'soon.json');
    const laterFile = path.join(rig.dir, 'later.json');
    const keyFile = path.join(rig.dir, 'key.json');
    await writeCodexAuthJson(soonFile, rig.mock.issueTokens());
    rig.clock.advance(3 * 24 * 3600 * 1000);
    await writeCodexAuthJson(laterFile, rig.mock.issueTokens());
    await fs.writeFile(keyFile, JSON.stringify({ api_key: 'sk-test-not-a-real-key' }), { mode: 0o600 });
    const soon = await credentialFromFile(soonFile, 'soon');
    const later = await credentialFromFile(laterFile, 'later');
    const key = await credentialFromFile(keyFile, 'key');
    const soonToken = soon.secret?.kind === 'oauth' ? soon.secret.accessToken : '';
    // `soon` expires in 6 minutes: outside the 5-minute margin, inside margin + 2 intervals (2 min).
    rig.clock.advance(TEN_DAYS_MS - 3 * 24 * 3600 * 1000 - 6 * 60_000);

    await rig.manager().runBackgroundPass([soon, later, key], 2 * 60_000);

    expect(rig.mock.refreshCalls).toBe(1);
    expect(soon.secret?.kind === 'oauth' && soon.secret.accessToken).not.toBe(soonToken);
    expect(later.stats.lastRefreshAt).toBeUndefined();
    expect(key.secret).toMatchObject({ kind: 'api_key' });
  });

  it('start() schedules passes on the timer it is given and stop() cancels them', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    const timers = new HandTimers();
    const manager = rig.manager({ timers });
    manager.start({ credentials: () => [credential], intervalMs: 60_000 });
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([60_000]);

    rig.clock.advance(TEN_DAYS_MS);
    const rearmed = timers.nextSet();
    timers.fireAll();
    await rearmed;
    expect(rig.mock.refreshCalls).toBe(1);
    expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([60_000]);

    manager.stop();
    expect(timers.pending.size).toBe(0);
  });
});
