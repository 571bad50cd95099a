/**
 * Load: 1,000 chat streams, 100 in flight at any time, through one daemon whose pool holds an API-key credential
 * (mock OpenAI upstream) and an OAuth credential (mock Codex backend, translated). Every answer is complete and
 * carries its own request's marker (the mocks echo the last user message): none is lost, cut or mixed up with
 * another, both credentials carry a share, and the daemon ends with no connection left open.
 */
import crypto from 'node:crypto';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { oauthTokenFile } from '../helpers/oauth-home.js';
import { fakeApiKey, parseSse, waitFor } from './fault-kit.js';

const TOTAL = 1_000;
const IN_FLIGHT = 100;

let codex: MockCodex;
let openai: MockOpenAI;
let daemon: TestDaemon;
let client: Agent;

beforeAll(async () => {
  codex = await startMockCodex();
  openai = await startMockOpenAI();
  const clock = new FakeClock();
  const home = makeTempHome({
    'config.yaml': [
      'auth_dir: ~/auth',
      'codex:',
      '  import_cli: false',
      `  chatgpt_base_url: ${codex.baseUrl}`,
      'credential_pool:',
      '  codex:',
      '    - { id: api-key, token_file: codex/api-key.json }',
      '    - { id: oauth, token_file: codex/oauth.json }',
      '',
    ].join('\n'),
    'auth/codex/api-key.json': JSON.stringify({ api_key: fakeApiKey('load'), api_base_url: openai.origin }),
    'auth/codex/oauth.json': oauthTokenFile(clock).text,
  });
  daemon = await startTestDaemon({ home, clock, logLevel: 'warn' });
  client = new Agent({ connections: IN_FLIGHT, keepAliveTimeout: 500 });
});
afterAll(async () => {
  if (client && !client.closed) await client.close();
  await daemon?.stop();
  await codex?.close();
  await openai?.close();
});

interface Result {
  marker: string;
  status: number;
  credential: string;
  text: string;
  done: boolean;
}

async function oneStream(index: number): Promise<Result> {
  const marker = `marker-${index}-${crypto.randomBytes(4).toString('hex')}`;
  const response = await request(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: client,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.4', stream: true, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `say ${marker} back` }] }),
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
  });
  const body = await response.body.text();
  const frames = parseSse(body);
  const text = frames
    .filter((frame) => frame.event === undefined && frame.data !== '[DONE]')
    .map((frame) => (JSON.parse(frame.data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
    .join('');
  return { marker, status: response.statusCode, credential: String(response.headers['x-proxycast-credential']), text, done: frames.at(-1)?.data === '[DONE]' };
}

describe(`${TOTAL} chat streams, ${IN_FLIGHT} at a time`, () => {
  it('every answer is whole and carries its own marker', { timeout: 90_000 }, async () => {
    const results: Result[] = [];
    let next = 0;
    let peak = 0;
    let inFlight = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < TOTAL) {
          const index = next;
          next += 1;
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          try {
            results[index] = await oneStream(index);
          } finally {
            inFlight -= 1;
          }
        }
      }),
    );
    const elapsed = Date.now() - started;

    expect(results).toHaveLength(TOTAL);
    expect(peak).toBe(IN_FLIGHT);
    const wrong = results.filter((result) => result.status !== 200 || !result.done || result.text !== `echo: say ${result.marker} back`);
    expect(wrong.slice(0, 3)).toEqual([]);
    const markers = new Set(results.map((result) => result.marker));
    expect(markers.size).toBe(TOTAL);
    const byCredential: Record<string, number> = {};
    for (const result of results) byCredential[result.credential] = (byCredential[result.credential] ?? 0) + 1;
    expect(Object.keys(byCredential).sort()).toEqual(['api-key', 'oauth']);
    for (const share of Object.values(byCredential)) expect(share).toBeGreaterThan(TOTAL / 4);
    // Each upstream saw exactly the requests routed to it, each once.
    expect(openai.calls.length).toBe(byCredential['api-key']);
    expect(codex.responsesCalls().length).toBe(byCredential.oauth);
    expect(elapsed).toBeLessThan(60_000);
  });

  it('leaves no client connection open once the client lets go', async () => {
    await client.close();
    const open = () => new Promise<number>((resolve, reject) => daemon.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    await waitFor(async () => (await open()) === 0, 3_000, 'the daemon connections to close');
    const health = await fetch(`${daemon.url}/health`);
    expect(health.status).toBe(200);
  });
});
