/**
 * A client that hangs up: mid-stream, before the first byte, during a non-stream answer. The daemon aborts its
 * upstream call at once (the upstream sees its socket closed, long before any timeout), and after twenty hang-ups
 * the process's sockets and the daemon's connections are back at their baseline: nothing leaks.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome, type TestDaemon } from '../helpers/daemon.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { oauthTokenFile } from '../helpers/oauth-home.js';
import { FakeClock } from '../helpers/daemon.js';
import { startFaultUpstream, type FaultUpstream } from './fault-upstream.js';
import { fakeApiKey, startApiKeyDaemon, waitFor } from './fault-kit.js';

let codex: MockCodex;
let openai: MockOpenAI;
let faults: FaultUpstream;
let oauthDaemon: TestDaemon;
let apiDaemon: TestDaemon;
let stallDaemon: TestDaemon;

beforeAll(async () => {
  codex = await startMockCodex({ slowDelayMs: 60 });
  openai = await startMockOpenAI();
  faults = await startFaultUpstream();
  const clock = new FakeClock();
  const home = makeTempHome({
    'config.yaml': `auth_dir: ~/auth\ncodex:\n  import_cli: false\n  chatgpt_base_url: ${codex.baseUrl}\ncredential_pool:\n  codex:\n    - { id: oauth-1, token_file: codex/oauth-1.json }\n`,
    'auth/codex/oauth-1.json': oauthTokenFile(clock).text,
  });
  oauthDaemon = await startTestDaemon({ home, clock });
  apiDaemon = await startApiKeyDaemon(openai.origin, { apiKey: fakeApiKey('disconnect') });
  // Default (long) upstream timeouts: only the client's hang-up can end these upstream calls quickly.
  stallDaemon = await startApiKeyDaemon(faults.origin);
});
afterAll(async () => {
  await Promise.all([oauthDaemon?.stop(), apiDaemon?.stop(), stallDaemon?.stop()]);
  await Promise.all([codex?.close(), openai?.close(), faults?.close()]);
});

/** Sockets this process holds (client, daemon and mock sides alike). */
const openSockets = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;

function connections(daemon: TestDaemon): Promise<number> {
  return new Promise((resolve, reject) => daemon.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/**
 * POSTs without keep-alive and hangs up once `hangUpAfter` bytes of answer arrived (0: as soon as the request is
 * sent). Resolves with the bytes seen.
 */
function requestAndHangUp(url: string, body: unknown, hangUpAfter: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } });
    let seen = '';
    request.on('error', () => resolve(seen));
    request.on('response', (response) => {
      response.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.length >= hangUpAfter) request.destroy();
      });
      response.on('error', () => resolve(seen));
      response.on('close', () => resolve(seen));
    });
    request.end(JSON.stringify(body), () => {
      if (hangUpAfter === 0) setTimeout(() => request.destroy(), 100);
    });
    request.setTimeout(10_000, () => reject(new Error('no answer within 10 s')));
  });
}

const chat = (model: string, text: string, stream = true) => ({ model, stream, messages: [{ role: 'user', content: text }] });

let baselineSockets = 0;
const baselineConnections: Record<string, number> = {};

beforeAll(async () => {
  // Let startup work (catalog reads, probes) finish, then take the baseline.
  await new Promise((resolve) => setTimeout(resolve, 300));
  baselineSockets = openSockets();
  for (const [name, daemon] of Object.entries({ oauthDaemon, apiDaemon, stallDaemon })) baselineConnections[name] = await connections(daemon);
});

describe('a client that hangs up', () => {
  it('mid-stream on the OAuth path: the Codex backend sees its answer abandoned', async () => {
    const before = codex.responsesCalls().length;
    const seen = await requestAndHangUp(`${oauthDaemon.url}/v1/chat/completions`, chat('mock-slow', 'one two three four five six seven eight nine ten'), 1);
    expect(seen).toContain('data: ');
    expect(seen).not.toContain('[DONE]');
    await waitFor(() => codex.responsesCalls()[before]?.closedEarly === true, 3_000, 'the mock to see the hang-up');
  });

  it('mid-stream on the API-key path: the upstream sees its answer abandoned', async () => {
    const before = openai.abortedResponses;
    const seen = await requestAndHangUp(`${apiDaemon.url}/v1/chat/completions`, chat('slow-stream', 'one two three four five six seven eight nine ten'), 1);
    expect(seen).not.toContain('[DONE]');
    await waitFor(() => openai.abortedResponses === before + 1, 3_000, 'the upstream to see the hang-up');
  });

  it.each([
    ['a stream', true],
    ['a JSON answer', false],
  ])('before the first byte of %s: the upstream call is aborted at once, not at its timeout', async (_name, stream) => {
    const before = faults.requests.length;
    const started = Date.now();
    await requestAndHangUp(`${stallDaemon.url}/v1/chat/completions`, chat('gpt-5.4', 'FAULT:stall-before MARK:hangup', stream), 0);
    await waitFor(() => faults.requests[before]?.closedByPeer === true, 3_000, 'the upstream socket to be closed');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('twenty hang-ups later, sockets and connections are back at the baseline', async () => {
    const hangUps = Array.from({ length: 20 }, (_, index) => {
      if (index % 4 === 0) return requestAndHangUp(`${oauthDaemon.url}/v1/chat/completions`, chat('mock-slow', `oauth stream ${index} a b c d e f`), 1);
      if (index % 4 === 1) return requestAndHangUp(`${oauthDaemon.url}/v1/responses`, { model: 'mock-slow', stream: true, input: `responses ${index} a b c d` }, 1);
      if (index % 4 === 2) return requestAndHangUp(`${apiDaemon.url}/v1/chat/completions`, chat('slow-stream', `api stream ${index} a b c d e f`), 1);
      return requestAndHangUp(`${stallDaemon.url}/v1/chat/completions`, chat('gpt-5.4', `FAULT:stall-mid MARK:m${index}`), 1);
    });
    await Promise.all(hangUps);
    // Kept-alive upstream sockets close after the test dispatcher's 1 s keep-alive timeout.
    await waitFor(() => openSockets() <= baselineSockets, 5_000, `sockets to return to ${baselineSockets} (now ${openSockets()})`);
    for (const [name, daemon] of Object.entries({ oauthDaemon, apiDaemon, stallDaemon })) expect(await connections(daemon), name).toBe(baselineConnections[name]);
    expect(faults.openSockets()).toBe(0);
    // And the daemons still serve.
    const answer = await fetch(`${oauthDaemon.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat('gpt-5.4', 'still here', false)) });
    expect(answer.status).toBe(200);
  });

  it('the request log says the answer was aborted', () => {
    const lines = oauthDaemon.logs().split('\n').filter((line) => line.includes('"msg":"request"'));
    expect(lines.some((line) => line.includes('"aborted":true'))).toBe(true);
  });
});
