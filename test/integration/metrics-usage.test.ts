import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const KEY = ['sk', 'metrics', 'key', '7777'].join('-');
const NOW_SECONDS = Date.parse('2026-12-01T09:00:00Z') / 1000;

let upstream: MockOpenAI;
let daemon: TestDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await upstream?.close();
});

/** Parses Prometheus text exposition into name{labels} → value, failing on any line that is not valid. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

const CONFIG = 'auth_dir: ~/auth\ncredential_pool:\n  codex:\n    - { id: metered, token_file: codex/a.json }\n';

describe('per-credential usage, metrics and their survival across restarts', () => {
  it('counts a known sequence exactly, shows quota headers, and continues after a restart', async () => {
    upstream = await startMockOpenAI({
      quotaHeaders: {
        'x-codex-primary-used-percent': '25',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-at': String(NOW_SECONDS + 3600),
        'x-codex-secondary-used-percent': '60',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-at': String(NOW_SECONDS + 86_400),
      },
    });
    const home = makeTempHome({ 'config.yaml': CONFIG, 'auth/codex/a.json': JSON.stringify({ api_key: KEY, api_base_url: upstream.origin }) });
    daemon = await startTestDaemon({ home });
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-a', messages: [{ role: 'user', content: 'one' }] });
    const stream = await client.chat.completions.create({ model: 'gpt-a', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'two' }] });
    for await (const _chunk of stream) void _chunk;
    await expect(client.chat.completions.create({ model: 'usage-limit', messages: [{ role: 'user', content: 'three' }] })).rejects.toMatchObject({ status: 429 });

    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    const samples = parsePrometheus(text);
    expect(samples.get('proxycast_requests_total{credential="metered",model="gpt-a",route="/v1/chat/completions",status="200"}')).toBe(2);
    expect(samples.get('proxycast_requests_total{credential="metered",model="usage-limit",route="/v1/chat/completions",status="429"}')).toBe(1);
    expect(samples.get('proxycast_tokens_total{credential="metered",kind="input"}')).toBe(5 + 11);
    expect(samples.get('proxycast_tokens_total{credential="metered",kind="output"}')).toBe(3 + 7);
    expect(samples.get('proxycast_tokens_total{credential="metered",kind="cached"}')).toBe(4);
    expect(samples.get('proxycast_tokens_total{credential="metered",kind="reasoning"}')).toBe(2);
    expect(samples.get('proxycast_quota_used_percent{credential="metered",window="primary"}')).toBe(25);
    expect(samples.get('proxycast_quota_used_percent{credential="metered",window="secondary"}')).toBe(60);
    expect(samples.get('proxycast_credential_state{credential="metered",state="cooldown"}')).toBe(1);
    expect(samples.get('proxycast_time_to_first_byte_seconds_count{route="/v1/chat/completions",credential="metered"}')).toBe(2);
    expect(text).not.toContain(KEY);

    const usage = (await (await fetch(`${daemon.url}/api/admin/usage`)).json()) as { credentials: Array<Record<string, unknown>> };
    expect(usage.credentials[0]).toMatchObject({
      id: 'metered',
      requests: 3,
      successes: 2,
      failures: { usage_limit_reached: 1 },
      tokens: { input: 16, output: 10, cached: 4, reasoning: 2 },
      tokens_today: { input: 16, output: 10, cached: 4, reasoning: 2 },
      quota: { primary: { used_percent: 25, window_minutes: 300, resets_at: new Date((NOW_SECONDS + 3600) * 1000).toISOString() } },
    });
    const status = (await (await fetch(`${daemon.url}/api/admin/credentials`)).json()) as Array<{ quota: string }>;
    expect(status[0]?.quota).toBe('5h 25% · 7d 60%');

    // Restart on the same HOME: the numbers continue.
    await daemon.app.close();
    await daemon.runtime.close();
    expect(fs.existsSync(path.join(home, '.proxycast/usage.json'))).toBe(true);
    expect(fs.readFileSync(path.join(home, '.proxycast/usage.json'), 'utf8')).not.toContain(KEY);
    daemon = await startTestDaemon({ home });
    const again = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'x', maxRetries: 0 });
    daemon.clock.advance(700_000);
    await again.chat.completions.create({ model: 'gpt-a', messages: [{ role: 'user', content: 'four' }] });
    const after = parsePrometheus(await (await fetch(`${daemon.url}/metrics`)).text());
    expect(after.get('proxycast_requests_total{credential="metered",model="gpt-a",route="/v1/chat/completions",status="200"}')).toBe(3);
    expect(after.get('proxycast_tokens_total{credential="metered",kind="input"}')).toBe(16 + 5);
  });
});
