import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { runStatusCommand } from '../../src/commands/status.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { FakeClock, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { oauthHome } from '../helpers/oauth-home.js';

let codex: MockCodex;
let daemon: TestDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await codex?.close();
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { stream, text: () => out };
}

describe('which account, how many tokens, when does my limit reset', () => {
  it('answers from proxycast status (daemon and disk), the admin API and the pooled wham/usage endpoint', async () => {
    const clock = new FakeClock();
    const resetAt = Math.floor(clock.now() / 1000) + 2 * 3600;
    codex = await startMockCodex({ quota: { primaryUsedPercent: 42, primaryWindowMinutes: 300, primaryResetAt: resetAt, secondaryUsedPercent: 10, secondaryWindowMinutes: 10080, planType: 'plus' } });
    const { home } = oauthHome(clock, codex.baseUrl, ['work']);
    daemon = await startTestDaemon({ home, clock });
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'count me' }] });

    const deps = { ...daemon.runtime.deps };
    const fromDaemon = capture();
    await runStatusCommand(deps, { url: daemon.url, json: false, cwd: home, stdout: fromDaemon.stream, configFlag: `${home}/config.yaml` });
    expect(fromDaemon.text()).toContain(`from the daemon at ${daemon.url}`);
    expect(fromDaemon.text()).toMatch(/work\s+login\s+oauth\s+active\s+work@example\.test/);
    expect(fromDaemon.text()).toContain('5h 42% · 7d 10% (resets in 2h)');

    const json = capture();
    await runStatusCommand(deps, { url: daemon.url, json: true, cwd: home, stdout: json.stream, configFlag: `${home}/config.yaml` });
    const views = JSON.parse(json.text()) as Array<{ id: string; tokens_total: number; plan: string | null }>;
    expect(views[0]).toMatchObject({ id: 'work', quota: '5h 42% · 7d 10%' });
    expect(views[0]?.tokens_total).toBeGreaterThan(0);

    const usage = (await (await fetch(`${daemon.url}/backend-api/wham/usage`)).json()) as { plan_type: string; rate_limit: { primary_window: { used_percent: number; reset_at: number } } };
    expect(usage.plan_type).toBe('plus');
    expect(usage.rate_limit.primary_window).toMatchObject({ used_percent: 42, reset_at: resetAt });

    await daemon.app.close();
    await daemon.runtime.close();
    const fromDisk = capture();
    await runStatusCommand(deps, { url: 'http://127.0.0.1:9', json: false, cwd: home, stdout: fromDisk.stream, configFlag: `${home}/config.yaml` });
    expect(fromDisk.text()).toContain('from disk');
    expect(fromDisk.text()).toContain('5h 42% · 7d 10%');
    expect(fromDisk.text()).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
    daemon = undefined;
  });
});
