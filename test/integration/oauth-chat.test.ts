import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { FakeClock, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { oauthHome } from '../helpers/oauth-home.js';

let codex: MockCodex;
let daemon: TestDaemon;
let client: OpenAI;
let tokens: Record<string, string>;

beforeEach(async () => {
  codex = await startMockCodex();
  const clock = new FakeClock();
  const made = oauthHome(clock, codex.baseUrl, ['acct']);
  tokens = made.tokens;
  daemon = await startTestDaemon({ home: made.home, clock });
  client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'anything', maxRetries: 0 });
});
afterEach(async () => {
  await daemon.stop();
  await codex.close();
});

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('chat completions through a ChatGPT OAuth credential', () => {
  it('answers non-stream with usage, sending what the backend requires and nothing it rejects', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-5.4', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }], temperature: 0.2, max_tokens: 50 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hello there');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-proxycast-credential')).toBe('acct');
    expect(response.headers.get('x-proxycast-model')).toBe('gpt-5.4');
    const [call] = codex.responsesCalls();
    expect(call?.status).toBe(200);
    expect(call?.headers.authorization).toBe(`Bearer ${tokens.acct}`);
    expect(call?.headers['chatgpt-account-id']).toBe('acct-acct');
    expect(call?.headers.originator).toBe('codex_cli_rs');
    expect(call?.headers['user-agent']).toMatch(/^codex_cli_rs\//);
    expect(call?.headers['session_id']).toBe((call?.body as { prompt_cache_key: string }).prompt_cache_key);
    expect(call?.body).toMatchObject({ model: 'gpt-5.4', instructions: 'Be brief.', store: false, stream: true });
    expect(call?.body).not.toHaveProperty('temperature');
    expect(call?.body).not.toHaveProperty('max_tokens');
  });

  it('streams with a role chunk first, one finish_reason, usage when asked, and [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-5.4', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream this' }] });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('echo: stream this');
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]?.finish_reason)).toEqual(['stop']);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('maps gpt-4 to codex.default_model (the seed curl example)', async () => {
    const response = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer your-api-key', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'Hello!' }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-proxycast-model')).toBe('gpt-5.4');
    expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe('echo: Hello!');
    expect((codex.responsesCalls()[0]?.body as { model: string }).model).toBe('gpt-5.4');
  });

  it('round-trips tools: the call, then the history with its result', async () => {
    const first = await client.chat.completions.create({ model: 'mock-tool', messages: [{ role: 'user', content: 'weather in Paris?' }], tools: [weatherTool] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const second = await client.chat.completions.create({
      model: 'gpt-5.4',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call!] },
        { role: 'tool', tool_call_id: call!.id, content: 'sunny, 21C' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('tool result: sunny, 21C');
    expect(codex.responsesCalls().every((c) => c.status === 200)).toBe(true);
    const keys = codex.responsesCalls().map((c) => (c.body as { prompt_cache_key: string }).prompt_cache_key);
    expect(keys[0]).toBe(keys[1]);
  });

  it('serves a Continue/Cline-style request: system prompt, tools, temperature, max_tokens, stream with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-parallel-tools',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_tokens: 4096,
      top_p: 1,
      messages: [{ role: 'system', content: 'You are a coding agent.' }, { role: 'user', content: 'check two cities' }],
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: true,
    });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | null | undefined;
    let usage;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        const entry = calls.get(delta.index) ?? { args: '' };
        entry.id ??= delta.id;
        entry.name ??= delta.function?.name;
        entry.args += delta.function?.arguments ?? '';
        calls.set(delta.index, entry);
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect([...calls.values()].map((c) => JSON.parse(c.args))).toEqual([{ city: 'Paris' }, { city: 'Tokyo' }]);
    expect(finish).toBe('tool_calls');
    expect(usage).toBeTruthy();
    expect(codex.responsesCalls()[0]?.status).toBe(200);
  });

  it('turns a failure before output into an HTTP error, and one after output into an SSE error with no [DONE]', async () => {
    await expect(client.chat.completions.create({ model: 'mock-fail-before', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: expect.any(Number) });
    const before = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'mock-fail-before', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    expect(before.status).toBeGreaterThanOrEqual(400);
    expect(before.headers.get('content-type')).toContain('application/json');
    const after = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'mock-cut-after', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    expect(after.status).toBe(200);
    const text = await after.text();
    expect(text).toContain('echo');
    expect(text).toContain('event: error');
    expect(text).not.toContain('[DONE]');
  });

  it('maps unknown models to model_not_found, and usage limits to 429 with Retry-After that holds until the reset', async () => {
    const unknown = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-9-imaginary', messages: [{ role: 'user', content: 'x' }] }) });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'model_not_found' });
    const limited = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'mock-usage-limit', messages: [{ role: 'user', content: 'x' }] }) });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'usage_limit_reached', message: expect.stringContaining('reset') });
    const calls = codex.responsesCalls().length;
    const again = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] }) });
    expect(again.status).toBe(429);
    expect(codex.responsesCalls()).toHaveLength(calls);
    daemon.clock.advance(retryAfter * 1000);
    const afterReset = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'back' }] }) });
    expect(afterReset.status).toBe(200);
  });
});

describe('/v1/responses through a ChatGPT OAuth credential', () => {
  it('answers client.responses.create, non-stream and stream', async () => {
    const answer = await client.responses.create({ model: 'gpt-5.4', input: 'plain string input', instructions: 'Be kind.' });
    expect(answer.output_text).toBe('echo: plain string input');
    const stream = await client.responses.create({ model: 'gpt-5.4', input: [{ role: 'user', content: 'streamed input' }], stream: true });
    let text = '';
    let completed = false;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = true;
    }
    expect(text).toBe('echo: streamed input');
    expect(completed).toBe(true);
    expect(codex.responsesCalls().every((c) => c.status === 200)).toBe(true);
  });

  it('refuses previous_response_id with a clear 400', async () => {
    await expect(client.responses.create({ model: 'gpt-5.4', input: 'x', previous_response_id: 'resp_1' })).rejects.toMatchObject({ status: 400 });
    expect(codex.responsesCalls()).toHaveLength(0);
  });
});
