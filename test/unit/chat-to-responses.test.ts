import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import { chatConversationKey, chatToResponsesRequest } from '../../src/translate/chat-to-responses.js';
import { splitEffortSuffix } from '../../src/translate/codex-request-rules.js';
import { MISSING_TOOL_RESULT_TEXT } from '../../src/translate/tool-pairing.js';
import { chatCompletionRequestSchema } from '../../src/wire/chat.js';
import type { ResponsesInputItem } from '../../src/wire/responses.js';

/** An input item as a plain record, to read fields whatever its type. */
const fields = (item: ResponsesInputItem) => item as Record<string, unknown>;
const parse = (body: Record<string, unknown>) => chatCompletionRequestSchema.parse({ model: 'gpt-5.5', ...body });
const translate = (body: Record<string, unknown>, upstreamModel = 'gpt-5.5') => chatToResponsesRequest({ request: parse(body), upstreamModel });
const hello = [{ role: 'user', content: 'Hello' }];

function refusal(body: Record<string, unknown>): ProxyError {
  try {
    translate(body);
  } catch (error) {
    if (error instanceof ProxyError) return error;
    throw error;
  }
  throw new Error('expected the translator to refuse this request');
}

const weatherCall = (id: string | null, city = 'Paris') => ({ id, type: 'function', function: { name: 'get_weather', arguments: `{"city":"${city}"}` } });

describe('the fixed frame of every request', () => {
  it('joins system and developer text into instructions and sends only whitelisted keys', () => {
    const { request, warnings } = translate({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'Hello' },
      ],
    });
    expect(request).toEqual({
      model: 'gpt-5.5',
      instructions: 'You are terse.\n\nAnswer in French.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }],
      reasoning: { summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      store: false,
      stream: true,
    });
    expect(warnings).toEqual([]);
  });

  it('sends instructions "" when there is no system text, and forces stream/store whatever the client says', () => {
    const { request } = translate({ messages: hello, stream: false, store: true });
    expect([request.instructions, request.stream, request.store]).toEqual(['', true, false]);
  });

  it('sends the upstream model verbatim', () => {
    expect(translate({ model: 'gpt-4', messages: hello }, 'gpt-5.4').request.model).toBe('gpt-5.4');
  });
});

describe('dropped parameters', () => {
  const dropped: Array<[string, unknown]> = [
    ['max_tokens', 100], ['max_completion_tokens', 100], ['max_output_tokens', 100], ['temperature', 0.2], ['top_p', 0.9],
    ['presence_penalty', 0.1], ['frequency_penalty', 0.1], ['seed', 7],
    ['user', 'u-1'], ['metadata', { a: 'b' }], ['logprobs', true], ['top_logprobs', 2], ['stop', ['\n']],
    ['truncation', 'auto'], ['previous_response_id', 'resp_1'], ['logit_bias', { 1: 2 }], ['some_future_knob', 1],
  ];
  it.each(dropped)('%s never reaches the backend and is reported', (key, value) => {
    const { request, warnings } = translate({ messages: hello, [key]: value });
    expect(Object.keys(request)).not.toContain(key);
    expect(warnings.some((warning) => warning.includes(`'${key}'`))).toBe(true);
  });

  it('does not send stream_options (the proxy reads include_usage itself) and reports store:true as forced to false', () => {
    expect(translate({ messages: hello, stream_options: { include_usage: true } }).request).not.toHaveProperty('stream_options');
    const stored = translate({ messages: hello, store: true });
    expect(stored.request.store).toBe(false);
    expect(stored.warnings.join()).toContain('store forced to false');
  });

  it('keeps service_tier only when it is "priority"', () => {
    expect(translate({ messages: hello, service_tier: 'priority' }).request.service_tier).toBe('priority');
    const other = translate({ messages: hello, service_tier: 'auto' });
    expect(other.request).not.toHaveProperty('service_tier');
    expect(other.warnings.join()).toContain("service_tier 'auto'");
  });

  it('refuses n > 1 with param n, and accepts n = 1', () => {
    expect(refusal({ messages: hello, n: 2 })).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'n' });
    expect(translate({ messages: hello, n: 1 }).request).not.toHaveProperty('n');
  });
});

describe('messages', () => {
  it('maps images (URL string, {url, detail}, data URL) to input_image', () => {
    const dataUrl = 'data:image/png;base64,iVBORw0KGgo=';
    const { request } = translate({
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: 'https://example.com/a.png' },
        { type: 'image_url', image_url: { url: dataUrl, detail: 'high' } },
      ] }],
    });
    expect(request.input[0]).toEqual({ type: 'message', role: 'user', content: [
      { type: 'input_text', text: 'What is this?' },
      { type: 'input_image', image_url: 'https://example.com/a.png' },
      { type: 'input_image', image_url: dataUrl, detail: 'high' },
    ] });
  });

  it('refuses an unsupported content part, naming its path', () => {
    const error = refusal({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] });
    expect(error).toMatchObject({ status: 400, param: 'messages[0].content[0].type' });
  });

  it('keeps assistant text and tool-call history, then the tool result', () => {
    const { request } = translate({
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: 'Let me check.', tool_calls: [weatherCall('call_1')] },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: '18°C' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect(request.input.slice(1, 4)).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '18°C' },
    ]);
  });

  it('refuses the deprecated function role', () => {
    expect(refusal({ messages: [{ role: 'function', name: 'f', content: 'x' }] }).param).toBe('messages[0].role');
  });
});

describe('tool call pairing', () => {
  it('refuses a tool result that names an unknown call id, naming the id and the param', () => {
    const error = refusal({ messages: [...hello, { role: 'assistant', content: null, tool_calls: [weatherCall('call_1')] }, { role: 'tool', tool_call_id: 'call_9', content: 'x' }] });
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', param: 'messages[2].tool_call_id' });
    expect(error.message).toContain("'call_9'");
  });

  it('refuses a second result for the same call', () => {
    const messages = [...hello, { role: 'assistant', tool_calls: [weatherCall('call_1')] }, { role: 'tool', tool_call_id: 'call_1', content: 'a' }, { role: 'tool', tool_call_id: 'call_1', content: 'b' }];
    expect(refusal({ messages })).toMatchObject({ param: 'messages[3].tool_call_id' });
  });

  it('inserts a synthetic result after the turn for a call that never got one, and says so', () => {
    const { request, warnings } = translate({
      messages: [
        ...hello,
        { role: 'assistant', tool_calls: [weatherCall('call_a'), weatherCall('call_b', 'Oslo')] },
        { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
        { role: 'user', content: 'never mind' },
      ],
    });
    expect(request.input.slice(1).map(fields).map((item) => [item.type, item.call_id ?? item.role, item.output])).toEqual([
      ['function_call', 'call_a', undefined],
      ['function_call', 'call_b', undefined],
      ['function_call_output', 'call_a', 'sunny'],
      ['function_call_output', 'call_b', MISSING_TOOL_RESULT_TEXT],
      ['message', 'user', undefined],
    ]);
    expect(warnings.join()).toContain('call_b');
  });

  it('gives empty or missing call ids a stable generated id, and pairs id-less results in order', () => {
    const body = { messages: [...hello, { role: 'assistant', tool_calls: [weatherCall(''), weatherCall(null, 'Oslo')] }, { role: 'tool', content: 'r1' }, { role: 'tool', tool_call_id: '', content: 'r2' }] };
    const first = translate(body).request.input;
    const ids = first.map(fields).filter((item) => item.type === 'function_call').map((item) => item.call_id);
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => typeof id === 'string' && /^call_[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(first.map(fields).filter((item) => item.type === 'function_call_output').map((item) => [item.call_id, item.output])).toEqual([[ids[0], 'r1'], [ids[1], 'r2']]);
    expect(translate(body).request.input).toEqual(first);
  });

  it('renames an id a client reuses in a later turn, and pairs each result with its own turn', () => {
    const { request } = translate({
      messages: [
        ...hello,
        { role: 'assistant', tool_calls: [weatherCall('call_0')] }, { role: 'tool', tool_call_id: 'call_0', content: 'first' },
        { role: 'assistant', tool_calls: [weatherCall('call_0', 'Oslo')] }, { role: 'tool', tool_call_id: 'call_0', content: 'second' },
      ],
    });
    expect(request.input.slice(1).map(fields).map((item) => [item.type, item.call_id])).toEqual([
      ['function_call', 'call_0'], ['function_call_output', 'call_0'], ['function_call', 'call_0_2'], ['function_call_output', 'call_0_2'],
    ]);
  });
});

describe('tools', () => {
  const tool = { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

  it('flattens tools, keeps Chat strictness (false unless said), and sends parallel_tool_calls only with tools', () => {
    const { request } = translate({ messages: hello, tools: [tool, { type: 'function', function: { name: 'noop', strict: true } }] });
    expect(request.tools).toEqual([
      { type: 'function', name: 'get_weather', description: 'Weather by city', parameters: tool.function.parameters, strict: false },
      { type: 'function', name: 'noop', parameters: { type: 'object', properties: {} }, strict: true },
    ]);
    expect(request.parallel_tool_calls).toBe(true);
    expect(translate({ messages: hello, tools: [tool], parallel_tool_calls: false }).request.parallel_tool_calls).toBe(false);
    const without = translate({ messages: hello, parallel_tool_calls: true, tool_choice: 'auto' });
    expect(without.request).not.toHaveProperty('parallel_tool_calls');
    expect(without.request).not.toHaveProperty('tool_choice');
  });

  it('maps tool_choice', () => {
    expect(translate({ messages: hello, tools: [tool], tool_choice: { type: 'function', function: { name: 'get_weather' } } }).request.tool_choice).toEqual({ type: 'function', name: 'get_weather' });
    expect(translate({ messages: hello, tools: [tool], tool_choice: 'required' }).request.tool_choice).toBe('required');
    expect(refusal({ messages: hello, tools: [tool], tool_choice: { type: 'function', function: { name: 'other' } } }).param).toBe('tool_choice');
  });

  it('refuses a non-function tool, naming it', () => {
    expect(refusal({ messages: hello, tools: [{ type: 'code_interpreter' }] }).param).toBe('tools[0].type');
  });
});

describe('reasoning', () => {
  it.each([
    ['gpt-5.5-high', 'gpt-5.5', 'high'],
    ['gpt-5.5:xhigh', 'gpt-5.5', 'xhigh'],
    ['gpt-5.5(low)', 'gpt-5.5', 'low'],
    ['gpt-5.5_minimal', 'gpt-5.5', 'minimal'],
    ['gpt-5.5-ULTRA', 'gpt-5.5', 'ultra'],
    ['gpt-5.4-mini', 'gpt-5.4-mini', undefined],
    ['gpt-5.5', 'gpt-5.5', undefined],
    ['-high', '-high', undefined],
  ])('splitEffortSuffix(%s) → %s + %s', (model, base, effort) => {
    expect(splitEffortSuffix(model)).toEqual(effort ? { model: base, effort } : { model: base });
  });

  it('takes the effort from reasoning_effort, a reasoning object, or the model suffix (explicit wins)', () => {
    expect(translate({ messages: hello, reasoning_effort: 'low' }).request.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(translate({ messages: hello, reasoning: { effort: 'high', summary: 'detailed' } }).request.reasoning).toEqual({ effort: 'high', summary: 'detailed' });
    expect(translate({ model: 'gpt-5.5-xhigh', messages: hello }, 'gpt-5.5').request.reasoning).toEqual({ effort: 'xhigh', summary: 'auto' });
    expect(translate({ model: 'gpt-5.5-xhigh', messages: hello, reasoning_effort: 'low' }, 'gpt-5.5').request.reasoning?.effort).toBe('low');
  });

  it('does not read a suffix when the router kept the name (it is then a real slug)', () => {
    expect(translate({ model: 'gpt-5.1-codex-max', messages: hello }, 'gpt-5.1-codex-max').request.reasoning).toEqual({ summary: 'auto' });
  });

  it('omits the summary for summary "none" or effort "none", and refuses unknown efforts', () => {
    expect(translate({ messages: hello, reasoning: { summary: 'none' } }).request.reasoning).toEqual({});
    expect(translate({ messages: hello, reasoning_effort: 'none' }).request.reasoning).toEqual({ effort: 'none' });
    expect(refusal({ messages: hello, reasoning_effort: 'extreme' })).toMatchObject({ status: 400, param: 'reasoning_effort' });
  });
});

describe('response_format', () => {
  const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
  it('maps json_schema, json_object and text', () => {
    expect(translate({ messages: hello, response_format: { type: 'json_schema', json_schema: { name: 'thing', schema, strict: true } } }).request.text)
      .toEqual({ format: { type: 'json_schema', name: 'thing', schema, strict: true } });
    expect(translate({ messages: hello, response_format: { type: 'json_object' } }).request.text).toEqual({ format: { type: 'json_object' } });
    expect(translate({ messages: hello, response_format: { type: 'text' } }).request).not.toHaveProperty('text');
    expect(translate({ messages: hello, verbosity: 'low' }).request.text).toEqual({ verbosity: 'low' });
  });

  it('refuses json_schema without a schema and unknown types', () => {
    expect(refusal({ messages: hello, response_format: { type: 'json_schema', json_schema: { name: 'x' } } }).param).toBe('response_format.json_schema.schema');
    expect(refusal({ messages: hello, response_format: { type: 'yaml' } }).param).toBe('response_format.type');
  });
});

describe('prompt cache key', () => {
  const system = { role: 'system', content: 'Be helpful.' };
  const turn1 = [system, { role: 'user', content: 'Plan a trip' }];
  const turn2 = [...turn1, { role: 'assistant', content: 'Where to?' }, { role: 'user', content: 'Japan' }];

  it('is the same for every turn of one conversation and equals chatConversationKey', () => {
    const first = translate({ messages: turn1 });
    const second = translate({ messages: turn2 });
    expect(second.promptCacheKey).toBe(first.promptCacheKey);
    expect(first.request.prompt_cache_key).toBe(first.promptCacheKey);
    expect(chatConversationKey(parse({ messages: turn2 }))).toBe(first.promptCacheKey);
  });

  it('differs for another first message or other instructions', () => {
    const base = translate({ messages: turn1 }).promptCacheKey;
    expect(translate({ messages: [system, { role: 'user', content: 'Plan a party' }] }).promptCacheKey).not.toBe(base);
    expect(translate({ messages: [{ role: 'system', content: 'Be brief.' }, turn1[1]] }).promptCacheKey).not.toBe(base);
  });

  it("uses the client's prompt_cache_key, and the caller's override above all", () => {
    expect(translate({ messages: hello, prompt_cache_key: 'client-key' }).request.prompt_cache_key).toBe('client-key');
    const overridden = chatToResponsesRequest({ request: parse({ messages: hello, prompt_cache_key: 'client-key' }), upstreamModel: 'gpt-5.5', promptCacheKey: 'pool-key' });
    expect([overridden.promptCacheKey, overridden.request.prompt_cache_key]).toEqual(['pool-key', 'pool-key']);
  });
});
