import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reloadConfig } from '../../src/config/reload.js';
import { answerText, startPool, type PoolRig } from './pool-kit.js';

let rig: PoolRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

function configFile(rig: PoolRig): string {
  return path.join(rig.daemon.home, 'config.yaml');
}

describe('hot reload of the pool', () => {
  it('an in-flight request finishes on the config it started with, the next one gets the new config', async () => {
    rig = await startPool(['a', 'b']);
    rig.codex.setAccount(rig.account('a'), { hold: true, scenario: 'error-500' });
    const inFlight = rig.chat('started before the edit');
    await expect.poll(() => rig!.codex.held).toBe(1);

    // While a's answer is held, the upstream moves to an address where nothing listens.
    const text = fs.readFileSync(configFile(rig), 'utf8');
    fs.writeFileSync(configFile(rig), text.replace(rig.codex.baseUrl, 'http://127.0.0.1:9/backend-api/codex'));
    // (the file watcher may have applied it first: 'unchanged' then)
    expect(['applied', 'unchanged']).toContain(await reloadConfig(rig.daemon.runtime));
    expect(rig.daemon.runtime.config().codex.chatgpt_base_url).toBe('http://127.0.0.1:9/backend-api/codex');

    // a answers 500; the failover to b still goes to the upstream the request started with.
    rig.codex.releaseHeld();
    const result = await inFlight;
    expect(result.status).toBe(200);
    expect(answerText(result)).toBe('echo: started before the edit');
    expect(result.credential).toBe('b');
    expect(rig.counts()).toEqual({ a: 1, b: 1 });

    const after = await rig.chat('after the edit');
    expect(after.status).toBeGreaterThanOrEqual(502);
    expect(after.json.error.message).toMatch(/ECONNREFUSED|Could not reach/);
    expect(rig.counts()).toEqual({ a: 1, b: 1 });
  });

  it('a broken edit keeps serving with the running config; a good one takes effect without a restart', async () => {
    rig = await startPool(['a', 'b']);
    const original = fs.readFileSync(configFile(rig), 'utf8');
    fs.writeFileSync(configFile(rig), `${original}routing:\n  strategy: sideways\n`);
    expect(await reloadConfig(rig.daemon.runtime)).toBe('rejected');
    expect(rig.daemon.logs()).toContain('routing.strategy');
    const served = [];
    for (let i = 0; i < 4; i += 1) served.push((await rig.chat(`rr ${i}`)).credential);
    expect(served).toEqual(['a', 'b', 'a', 'b']);

    fs.writeFileSync(configFile(rig), `${original}routing:\n  strategy: fill-first\n  max_attempts: 2\n`);
    expect(['applied', 'unchanged']).toContain(await reloadConfig(rig.daemon.runtime));
    expect(rig.daemon.runtime.config().routing).toMatchObject({ strategy: 'fill-first', max_attempts: 2 });
    const filled = [];
    for (let i = 0; i < 4; i += 1) filled.push((await rig.chat(`ff ${i}`)).credential);
    expect(filled).toEqual(['a', 'a', 'a', 'a']);
    expect(rig.counts()).toEqual({ a: 6, b: 2 });
    // The credentials kept their run-time state across the reload.
    expect((await rig.admin()).a?.requests).toBe(6);
  });
});
