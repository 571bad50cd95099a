import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertSafeBind } from '../../src/serve.js';

const UPSTREAM_KEY = ['sk', 'upstream', 'secret', 'value', '9876'].join('-');
const CLIENT_KEY = ['pc', 'client', 'key', '4242'].join('-');

let upstream: MockOpenAI;
let daemon: TestDaemon;

beforeAll(async () => {
  upstream = await startMockOpenAI();
  daemon = await startTestDaemon({
    home: makeTempHome({
      'config.yaml': [
        'server:',
        `  api_keys: ["${CLIENT_KEY}"]`,
        'auth_dir: ~/auth',
        'routing:',
        '  rules:',
        '    - { pattern: "gpt-*", provider: codex, priority: 1 }',
        '    - { pattern: "echo-*", provider: codex }',
        'credential_pool:',
        '  codex:',
        '    - { id: only, token_file: codex/a.json }',
        '',
      ].join('\n'),
      'auth/codex/a.json': JSON.stringify({ api_key: UPSTREAM_KEY, api_base_url: upstream.origin }),
    }),
  });
});
afterAll(async () => {
  await daemon.stop();
  await upstream.close();
});

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as { error: { message: string; type: string; code: string; param: string | null } } };
}

describe('bad input gets a 4xx in the OpenAI error shape', () => {
  it.each([
    ['malformed JSON', '{"model": "gpt-5.4",', 400, 'invalid_json', null],
    ['an empty body', '', 400, 'invalid_request', null],
    ['a JSON array', '[1,2]', 400, 'invalid_request', null],
    ['a JSON string', '"hello"', 400, 'invalid_request', null],
    ['a missing model', '{"messages":[{"role":"user","content":"x"}]}', 400, 'invalid_request', 'model'],
    ['a missing messages', '{"model":"gpt-5.4"}', 400, 'invalid_request', 'messages'],
    ['a numeric model', '{"model":5,"messages":[{"role":"user","content":"x"}]}', 400, 'invalid_request', 'model'],
    ['messages as a string', '{"model":"gpt-5.4","messages":"hi"}', 400, 'invalid_request', 'messages'],
    ['an empty messages list', '{"model":"gpt-5.4","messages":[]}', 400, 'invalid_request', 'messages'],
    ['a message without role', '{"model":"gpt-5.4","messages":[{"content":"x"}]}', 400, 'invalid_request', 'messages[0].role'],
    ['stream as a string', '{"model":"gpt-5.4","stream":"yes","messages":[{"role":"user","content":"x"}]}', 400, 'invalid_request', 'stream'],
  ])('%s', async (_name, body, status, code, param) => {
    const { status: got, json } = await post(body);
    expect(got).toBe(status);
    expect(json.error).toMatchObject({ code, param, type: 'invalid_request_error' });
    expect(json.error.message.length).toBeGreaterThan(10);
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('a model no rule routes gets 404 model_not_found naming the model and the patterns', async () => {
    const { status, json } = await post('{"model":"claude-3","messages":[{"role":"user","content":"x"}]}');
    expect(status).toBe(404);
    expect(json.error.code).toBe('model_not_found');
    expect(json.error.message).toContain("'claude-3'");
    expect(json.error.message).toContain('"gpt-*", "echo-*"');
  });

  it('a wrong or missing client key gets 401 invalid_api_key; x-api-key works', async () => {
    const wrong = await post('{"model":"gpt-5.4","messages":[{"role":"user","content":"x"}]}', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('invalid_api_key');
    const missing = await fetch(`${daemon.url}/v1/models`);
    expect(missing.status).toBe(401);
    const viaHeader = await fetch(`${daemon.url}/v1/models`, { headers: { 'x-api-key': CLIENT_KEY } });
    expect(viaHeader.status).toBe(200);
  });

  it('an unknown route gets a 404 in the OpenAI shape, never HTML', async () => {
    const response = await fetch(`${daemon.url}/v1/nope`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('ignores request fields that try to choose where the credential goes', async () => {
    const before = upstream.calls.length;
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
    await client.chat.completions.create({
      model: 'gpt-5.4',
      messages: [{ role: 'user', content: 'x' }],
      // @ts-expect-error: not an OpenAI field; a hostile client may send it anyway
      api_base: 'http://127.0.0.1:1/steal',
      base_url: 'http://127.0.0.1:1/steal',
      api_key: 'sk-evil',
    });
    const call = upstream.calls[before];
    expect(call?.body).not.toHaveProperty('api_base');
    expect(call?.body).not.toHaveProperty('base_url');
    expect(call?.body).not.toHaveProperty('api_key');
  });

  it('GET /v1/models lists the API key upstream models that the rules route', async () => {
    const response = await fetch(`${daemon.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    const body = (await response.json()) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe('list');
    expect(body.data.map((model) => model.id)).toEqual(['gpt-4o-mini']);
  });

  it('never writes the upstream key or the client key into the log, at debug level', () => {
    const logs = daemon.logs();
    expect(logs.length).toBeGreaterThan(100);
    expect(logs).not.toContain(UPSTREAM_KEY);
    expect(logs).not.toContain(CLIENT_KEY);
  });
});

describe('binding', () => {
  it('refuses a non-loopback host without api_keys, saying why', () => {
    expect(() => assertSafeBind('0.0.0.0', [])).toThrow(/server\.api_keys is empty/);
    expect(() => assertSafeBind('0.0.0.0', ['k'])).not.toThrow();
    expect(() => assertSafeBind('127.0.0.1', [])).not.toThrow();
    expect(() => assertSafeBind('localhost', [])).not.toThrow();
  });
});
