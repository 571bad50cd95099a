import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const KEY_A = ['sk', 'test', 'alpha', '0001'].join('-');
const KEY_B = ['sk', 'test', 'bravo', '0002'].join('-');

let upstream: MockOpenAI;
let daemon: TestDaemon | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await upstream?.close();
});

function config(entries: string): string {
  return `auth_dir: ~/auth\ncredential_pool:\n  codex:\n${entries}`;
}

async function startWith(files: Record<string, string>): Promise<OpenAI> {
  const home = makeTempHome(files);
  daemon = await startTestDaemon({ home });
  return new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'anything', maxRetries: 0 });
}

describe('API-key credential serving /v1/chat/completions', () => {
  it('answers non-stream and stream requests intact through the openai client', async () => {
    upstream = await startMockOpenAI({ apiKey: KEY_A });
    const client = await startWith({
      'config.yaml': config('    - { id: key-a, token_file: codex/a.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
    });
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'marker-123' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: marker-123');

    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'stream me please' }] });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: stream me please');

    expect(upstream.calls.map((call) => call.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    expect(upstream.calls[0]?.headers.authorization).toBe(`Bearer ${KEY_A}`);
    expect(upstream.calls[0]?.headers['user-agent']).toMatch(/^proxycast\//);
  });

  it('passes the client\'s body bytes on unchanged, and re-serialises only to drop a routing key', async () => {
    upstream = await startMockOpenAI({ apiKey: KEY_A });
    await startWith({
      'config.yaml': config('    - { id: key-a, token_file: codex/a.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
    });
    // Spacing, key order and \u escapes a re-serialisation would change.
    const asSent = '{ "messages" : [ {"role":"user","content":"caf\\u00e9 bytes-1"} ],\n  "model":"gpt-4o-mini", "temperature": 0.50 }';
    const post = (body: string) => fetch(`${daemon!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const first = await post(asSent);
    expect(first.status).toBe(200);
    expect(upstream.calls[0]?.rawBody).toBe(asSent);

    const withRoutingKey = '{"model":"gpt-4o-mini","api_base":"http://evil.example","messages":[{"role":"user","content":"bytes-2"}]}';
    expect((await post(withRoutingKey)).status).toBe(200);
    expect(upstream.calls[1]?.rawBody).not.toContain('evil.example');
    expect(JSON.parse(upstream.calls[1]!.rawBody)).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'bytes-2' }] });
  });

  it.each([
    ['a base URL without /v1', (origin: string) => origin, '/v1/chat/completions'],
    ['a base URL with /v1 and a trailing slash', (origin: string) => `${origin}/v1/`, '/v1/chat/completions'],
    ['a gateway path', (origin: string) => `${origin}/gateway/openai/v1`, '/gateway/openai/v1/chat/completions'],
  ])('sends to the right URL for %s, in both key spellings', async (_name, base, expectedPath) => {
    upstream = await startMockOpenAI();
    const client = await startWith({
      'config.yaml': config('    - { id: snake, token_file: codex/a.json }\n    - { id: camel, token_file: codex/b.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: base(upstream.origin) }),
      'auth/codex/b.json': JSON.stringify({ apiKey: KEY_B, apiBaseUrl: base(upstream.origin) }),
    });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'one' }] });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'two' }] });
    expect(upstream.calls.map((call) => call.path)).toEqual([expectedPath, expectedPath]);
    expect(upstream.calls.map((call) => call.headers.authorization).sort()).toEqual([`Bearer ${KEY_A}`, `Bearer ${KEY_B}`]);
  });

  it('never uses a disabled credential', async () => {
    upstream = await startMockOpenAI();
    const client = await startWith({
      'config.yaml': config('    - { id: off, token_file: codex/a.json, disabled: true }\n    - { id: on, token_file: codex/b.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
      'auth/codex/b.json': JSON.stringify({ api_key: KEY_B, api_base_url: upstream.origin }),
    });
    for (let i = 0; i < 4; i += 1) await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `n${i}` }] });
    expect(upstream.calls.every((call) => call.headers.authorization === `Bearer ${KEY_B}`)).toBe(true);
    const health = (await (await fetch(`${daemon!.url}/health`)).json()) as { credentials: Record<string, number> };
    expect(health.credentials).toEqual({ active: 1, disabled: 1 });
  });

  it('keeps serving when one token file is broken, and leaves its bytes unchanged', async () => {
    upstream = await startMockOpenAI();
    const broken = '{"api_key": "sk-trunc';
    const client = await startWith({
      'config.yaml': config('    - { id: broken, token_file: codex/broken.json }\n    - { id: missing, token_file: codex/missing.json }\n    - { id: good, token_file: codex/good.json }\n'),
      'auth/codex/broken.json': broken,
      'auth/codex/good.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
    });
    const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still here' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: still here');
    expect(answer).toBeTruthy();
    const health = (await (await fetch(`${daemon!.url}/health`)).json()) as { status: string; credentials: Record<string, number> };
    expect(health).toMatchObject({ status: 'ok', credentials: { active: 1, invalid: 2 } });
    expect(fs.readFileSync(path.join(daemon!.home, 'auth/codex/broken.json'), 'utf8')).toBe(broken);
    expect(fs.existsSync(path.join(daemon!.home, 'auth/codex/missing.json'))).toBe(false);
  });

  it('returns upstream errors with their status in the OpenAI shape, naming the credential', async () => {
    upstream = await startMockOpenAI();
    await startWith({
      'config.yaml': config('    - { id: only, token_file: codex/a.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
    });
    const response = await fetch(`${daemon!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'error-400', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string; param: string; code: string } };
    expect(body.error.message).toContain("credential 'only'");
    expect(body.error).toMatchObject({ code: 'invalid_value', param: 'messages' });
    const serverError = await fetch(`${daemon!.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'error-500', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(serverError.status).toBe(502);
    expect(((await serverError.json()) as { error: { message: string } }).error.message).toContain("'only'");
  });

  it('ends a stream cut by the upstream with an SSE error event and no [DONE]', async () => {
    upstream = await startMockOpenAI();
    await startWith({
      'config.yaml': config('    - { id: only, token_file: codex/a.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
    });
    const response = await fetch(`${daemon!.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'cut-stream', stream: true, messages: [{ role: 'user', content: 'a b c d' }] }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text).toContain('event: error');
    expect(text).toContain('stream_interrupted');
    expect(text).not.toContain('[DONE]');
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    upstream = await startMockOpenAI();
    await startWith({
      'config.yaml': config('    - { id: only, token_file: codex/a.json }\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
    });
    const controller = new AbortController();
    const response = await fetch(`${daemon!.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'slow-stream', stream: true, messages: [{ role: 'user', content: 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12' }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => upstream.abortedResponses, { timeout: 5_000 }).toBe(1);
  });
});
