import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatToResponsesRequest } from '../../src/translate/chat-to-responses.js';
import { toChatCompletion } from '../../src/translate/responses-to-chat.js';
import { decodeResponsesEvents } from '../../src/upstream/sse-decoder.js';
import { chatCompletionRequestSchema } from '../../src/wire/chat.js';
import type { ResponsesStreamEvent } from '../../src/wire/responses.js';
import { MOCK_MODELS, readResponsesFixture, startMockCodex, type MockCodex } from '../helpers/mock-codex.js';

const token = 'test-access-token-alpha';
const authHeaders = { authorization: `Bearer ${token}`, 'chatgpt-account-id': 'acct-test-1', 'content-type': 'application/json' };
const userItem = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const validBody = (overrides: Record<string, unknown> = {}) => ({ model: 'gpt-5.5', instructions: '', input: [userItem('hello')], store: false, stream: true, ...overrides });

let mock: MockCodex;
beforeAll(async () => {
  mock = await startMockCodex({ slowDelayMs: 40, fixtureModels: { 'mock-fixture-text': 'text.1' } });
});
afterAll(async () => mock.close());

async function post(body: unknown, headers: Record<string, string> = authHeaders, signal?: AbortSignal): Promise<Response> {
  return fetch(`${mock.baseUrl}/responses`, { method: 'POST', headers, body: JSON.stringify(body), signal });
}

/** Reads an SSE answer to its end; a reset connection ends the list with `error`. */
async function eventsOf(response: Response): Promise<{ events: ResponsesStreamEvent[]; error?: unknown }> {
  const events: ResponsesStreamEvent[] = [];
  try {
    for await (const item of decodeResponsesEvents(response.body as AsyncIterable<Uint8Array>)) if (item.kind === 'event') events.push(item.event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}
const textOf = (events: ResponsesStreamEvent[]) => events.map((event) => (event.type === 'response.output_text.delta' ? event.delta : '')).join('');
const types = (events: ResponsesStreamEvent[]) => events.map((event) => event.type);

describe('mock Codex backend: validation (codex-protocol.md 5.4) over real HTTP', () => {
  const rejected: Array<[string, Record<string, unknown>, string]> = [
    ['stream not true', validBody({ stream: false }), 'Stream must be set to true'],
    ['store not false', validBody({ store: true }), 'Store must be set to false'],
    ['instructions missing', (({ instructions: _omit, ...rest }) => rest)(validBody()), 'Instructions are required'],
    ['instructions not a string', validBody({ instructions: ['x'] }), 'Instructions are not valid'],
    ['string input', validBody({ input: 'hello' }), 'Input must be a list'],
    ['system role in input', validBody({ input: [{ type: 'message', role: 'system', content: [{ type: 'input_text', text: 's' }] }] }), 'System messages are not allowed'],
    ...['max_output_tokens', 'max_tokens', 'temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'seed', 'stream_options', 'metadata', 'user', 'truncation', 'previous_response_id', 'top_logprobs'].map(
      (key): [string, Record<string, unknown>, string] => [key, validBody({ [key]: key === 'stream_options' || key === 'metadata' ? {} : 1 }), `Unsupported parameter: ${key}`],
    ),
    ['service_tier other than priority', validBody({ service_tier: 'auto' }), 'Unsupported parameter: service_tier'],
    ['nested chat-style tools', validBody({ tools: [{ type: 'function', function: { name: 'f' } }] }), "Missing required parameter: 'tools[0].name'."],
    ['chat-style content part', validBody({ input: [{ type: 'message', role: 'user', content: [{ type: 'text', text: 'x' }] }] }), "Invalid value: 'text'."],
    ['orphan function_call_output', validBody({ input: [userItem('q'), { type: 'function_call_output', call_id: 'call_z', output: 'r' }] }), 'No tool call found for function call output with call_id call_z.'],
    ['function_call without output', validBody({ input: [userItem('q'), { type: 'function_call', call_id: 'call_y', name: 'f', arguments: '{}' }] }), 'No tool output found for function call call_y.'],
    ['empty call_id', validBody({ input: [userItem('q'), { type: 'function_call', call_id: '', name: 'f', arguments: '{}' }] }), "Missing required parameter: 'input[1].call_id'."],
    ['unknown model', validBody({ model: 'gpt-5.2' }), "The 'gpt-5.2' model is not supported when using Codex with a ChatGPT account."],
    ['not-supported scenario model', validBody({ model: 'mock-not-supported' }), "The 'mock-not-supported' model is not supported when using Codex with a ChatGPT account."],
  ];

  it.each(rejected)('400 for %s', async (_name, body, detail) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { detail: string };
    expect(answer.detail.startsWith(detail)).toBe(true);
  });

  it('401 without Authorization, 401 token_expired for a token not accepted, 400 without ChatGPT-Account-ID', async () => {
    const { authorization: _a, ...noAuth } = authHeaders;
    expect((await post(validBody(), noAuth)).status).toBe(401);
    const { 'chatgpt-account-id': _b, ...noAccount } = authHeaders;
    const missingAccount = await post(validBody(), noAccount);
    expect([missingAccount.status, await missingAccount.json()]).toEqual([400, { detail: 'Missing ChatGPT-Account-ID header' }]);
    mock.acceptedTokens.add('some-other-token');
    try {
      const expired = await post(validBody());
      expect(expired.status).toBe(401);
      expect(await expired.json()).toMatchObject({ error: { code: 'token_expired' } });
    } finally {
      mock.acceptedTokens.clear();
    }
  });
});

describe('mock Codex backend: answers by model name', () => {
  it('echoes the last user message, records the call, sends quota headers and omits Content-Type on every other answer', async () => {
    const first = await post(validBody({ input: [userItem('first'), { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'a' }] }, userItem('ping pong')] }));
    const second = await post(validBody());
    expect([first.headers.get('content-type'), second.headers.get('content-type')]).toEqual([null, 'text/event-stream']);
    expect(first.headers.get('x-codex-primary-used-percent')).toBe('12.5');
    expect(first.headers.get('x-codex-secondary-window-minutes')).toBe('10080');
    const { events } = await eventsOf(first);
    expect(textOf(events)).toBe('echo: ping pong');
    expect(types(events).at(-1)).toBe('response.completed');
    const call = mock.responsesCalls().at(-2);
    expect(call).toMatchObject({ method: 'POST', status: 200, scenario: 'text', headers: { 'chatgpt-account-id': 'acct-test-1' }, body: { model: 'gpt-5.5' } });
    await second.body?.cancel();
  });

  it('tool: calls the request’s first tool; answers a tool result with text', async () => {
    const tools = [{ type: 'function', name: 'lookup', parameters: { type: 'object' }, strict: false }];
    const completion = toChatCompletion((await eventsOf(await post(validBody({ model: 'mock-tool', tools })))).events, { model: 'm', completionId: 'c', created: 1 });
    expect(completion.choices[0]?.message.tool_calls).toEqual([{ id: 'call_mock_1', type: 'function', function: { name: 'lookup', arguments: '{"city":"Paris"}' } }]);
    const input = [userItem('q'), { type: 'function_call', call_id: 'call_mock_1', name: 'lookup', arguments: '{}' }, { type: 'function_call_output', call_id: 'call_mock_1', output: 'sunny' }];
    expect(textOf((await eventsOf(await post(validBody({ model: 'mock-tool', tools, input })))).events)).toBe('tool result: sunny');
  });

  it('parallel-tools: two interleaved calls', async () => {
    const completion = toChatCompletion((await eventsOf(await post(validBody({ model: 'mock-parallel-tools' })))).events, { model: 'm', completionId: 'c', created: 1 });
    expect(completion.choices[0]?.message.tool_calls?.map((call) => call.function.arguments)).toEqual(['{"city":"Paris"}', '{"city":"Tokyo"}']);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it.each([
    ['mock-reasoning', 'stop', '**Thinking** about it\n\n**Answering** now'],
    ['mock-incomplete', 'length', undefined],
    ['mock-content-filter', 'content_filter', undefined],
  ])('%s → finish_reason %s', async (model, finish, reasoning) => {
    const completion = toChatCompletion((await eventsOf(await post(validBody({ model })))).events, { model, completionId: 'c', created: 1 });
    expect(completion.choices[0]?.finish_reason).toBe(finish);
    expect(completion.choices[0]?.message.content).toBe('echo: hello');
    expect(completion.choices[0]?.message.reasoning_content).toBe(reasoning);
  });

  it.each([
    ['mock-fail-before', 502, 'server_is_overloaded', ''],
    ['mock-rate-limit', 429, 'rate_limit_exceeded', ''],
    ['mock-error-event', 400, 'context_length_exceeded', ''],
    ['mock-fail-after', 502, 'server_error', 'echo: hello'],
  ])('%s: a 200 stream that fails in-band (%i %s)', async (model, status, code, text) => {
    const response = await post(validBody({ model }));
    expect(response.status).toBe(200);
    const { events } = await eventsOf(response);
    expect(textOf(events)).toBe(text);
    expect(() => toChatCompletion(events, { model, completionId: 'c', created: 1 })).toThrowError(expect.objectContaining({ status, code }));
  });

  it('cut-after: text, then the connection is reset without response.completed', async () => {
    const { events, error } = await eventsOf(await post(validBody({ model: 'mock-cut-after' })));
    expect(textOf(events)).toBe('echo: hello');
    expect(types(events)).not.toContain('response.completed');
    expect(error).toBeDefined();
    expect(mock.responsesCalls().at(-1)?.closedEarly).toBe(false);
  });

  it('usage-limit: HTTP 429 usage_limit_reached with resets_at and resets_in_seconds', async () => {
    const response = await post(validBody({ model: 'mock-usage-limit' }));
    expect(response.status).toBe(429);
    expect(response.headers.get('x-codex-primary-used-percent')).toBe('100');
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'usage_limit_reached', resets_in_seconds: 3600, plan_type: 'plus' });
    expect(body.error.resets_at).toBeGreaterThan(Date.now() / 1000);
  });

  it('error-500: HTTP 500', async () => {
    expect((await post(validBody({ model: 'mock-error-500' }))).status).toBe(500);
  });

  it('slow: records a client that hangs up mid-stream', async () => {
    const before = mock.closedEarly;
    const controller = new AbortController();
    const response = await post(validBody({ model: 'mock-slow' }), authHeaders, controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    for (let waited = 0; mock.closedEarly === before && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(mock.closedEarly).toBe(before + 1);
    expect(mock.responsesCalls().at(-1)?.closedEarly).toBe(true);
  });

  it('fixtureModels replay a fixture verbatim', async () => {
    const { events } = await eventsOf(await post(validBody({ model: 'mock-fixture-text' })));
    const payloads = events.map((event) => (event.type === 'proxycast.unrecognized' ? event.payload : event));
    expect(payloads).toEqual(readResponsesFixture('text.1'));
  });

  it('accepts what chatToResponsesRequest builds from a full conversation', async () => {
    const chat = chatCompletionRequestSchema.parse({
      model: 'gpt-5.5-high', temperature: 0.3, max_tokens: 50, stream_options: { include_usage: true }, user: 'u',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: '', type: 'function', function: { name: 'get_weather', arguments: '{}' } }, { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', content: 'r1' },
        { role: 'user', content: 'and now?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      response_format: { type: 'json_object' },
    });
    const { request } = chatToResponsesRequest({ request: chat, upstreamModel: 'gpt-5.5' });
    const response = await post(request);
    expect(response.status).toBe(200);
    expect(textOf((await eventsOf(response)).events)).toBe('echo: and now?');
  });
});

describe('mock Codex backend: catalog and usage', () => {
  it('GET /models lists the catalog with reasoning levels', async () => {
    const response = await fetch(`${mock.baseUrl}/models?client_version=0.146.0`, { headers: authHeaders });
    expect(response.status).toBe(200);
    const { models } = (await response.json()) as { models: Array<Record<string, unknown>> };
    expect(models.map((model) => model.slug)).toEqual([...MOCK_MODELS, 'mock-fixture-text']);
    expect(models.find((model) => model.slug === 'gpt-5.5')).toMatchObject({ visibility: 'list', supported_reasoning_levels: expect.arrayContaining([{ effort: 'xhigh', description: 'xhigh effort' }]) });
    expect(mock.calls.at(-1)?.path).toBe('/backend-api/codex/models?client_version=0.146.0');
  });

  it('GET /backend-api/wham/usage follows setQuotaHeaders, as do the x-codex headers', async () => {
    mock.setQuotaHeaders({ primaryUsedPercent: 77, planType: 'pro' });
    const response = await fetch(new URL('../wham/usage', `${mock.baseUrl}/`), { headers: authHeaders });
    expect(response.headers.get('x-codex-primary-used-percent')).toBe('77');
    expect(await response.json()).toMatchObject({
      plan_type: 'pro',
      rate_limit: { primary_window: { used_percent: 77, limit_window_seconds: 18000 }, secondary_window: { used_percent: 40, limit_window_seconds: 604800 } },
    });
  });
});

describe('mock Codex backend: Content-Type option', () => {
  it.each([
    ['always', ['text/event-stream', 'text/event-stream']],
    ['never', [null, null]],
  ] as const)('%s', async (contentType, expected) => {
    const other = await startMockCodex({ contentType });
    try {
      const seen: Array<string | null> = [];
      for (let index = 0; index < 2; index += 1) {
        const response = await fetch(`${other.baseUrl}/responses`, { method: 'POST', headers: authHeaders, body: JSON.stringify(validBody()) });
        seen.push(response.headers.get('content-type'));
        await response.text();
      }
      expect(seen).toEqual(expected);
    } finally {
      await other.close();
    }
  });
});
