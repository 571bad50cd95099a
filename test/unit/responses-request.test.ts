import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import { MISSING_TOOL_RESULT_TEXT } from '../../src/translate/tool-pairing.js';
import { normaliseResponsesRequest, responsesConversationKey } from '../../src/translate/responses-request.js';
import { responsesClientRequestSchema } from '../../src/wire/responses.js';

const parse = (body: Record<string, unknown>) => responsesClientRequestSchema.parse({ model: 'gpt-5.5', ...body });
const normalise = (body: Record<string, unknown>, upstreamModel = 'gpt-5.5') => normaliseResponsesRequest({ request: parse(body), upstreamModel });
const userItem = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

function refusal(body: Record<string, unknown>): ProxyError {
  try {
    normalise(body);
  } catch (error) {
    if (error instanceof ProxyError) return error;
    throw error;
  }
  throw new Error('expected the normaliser to refuse this request');
}

describe('normaliseResponsesRequest', () => {
  it('wraps a string input in one user message and always sends instructions, store:false, stream:true', () => {
    const { request } = normalise({ input: 'Hi there', stream: false });
    expect(request).toEqual({
      model: 'gpt-5.5',
      instructions: '',
      input: [userItem('Hi there')],
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: expect.any(String),
      store: false,
      stream: true,
    });
  });

  it('folds system and developer items into instructions, after the client instructions', () => {
    const { request } = normalise({
      instructions: 'Base.',
      input: [
        { role: 'system', content: 'Sys text.' },
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Dev text.' }] },
        { role: 'user', content: 'Question' },
      ],
    });
    expect(request.instructions).toBe('Base.\n\nSys text.\n\nDev text.');
    expect(request.input).toEqual([{ role: 'user', type: 'message', content: [{ type: 'input_text', text: 'Question' }] }]);
  });

  it('gives string content of an assistant item output_text parts', () => {
    const { request } = normalise({ input: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] });
    expect(request.input[1]).toEqual({ role: 'assistant', type: 'message', content: [{ type: 'output_text', text: 'b' }] });
  });

  it.each([
    ['max_output_tokens', 100], ['max_tokens', 5], ['temperature', 1], ['top_p', 1], ['presence_penalty', 1], ['frequency_penalty', 1],
    ['seed', 1], ['stream_options', { include_usage: true }], ['metadata', {}], ['user', 'x'], ['truncation', 'auto'],
    ['top_logprobs', 1], ['safety_identifier', 's'], ['prompt_cache_retention', '24h'], ['background', false], ['brand_new', 1],
  ])('strips %s and reports it', (key, value) => {
    const { request, warnings } = normalise({ input: 'x', [key]: value });
    expect(Object.keys(request)).not.toContain(key);
    expect(warnings.join()).toContain(`'${key}'`);
  });

  it('refuses previous_response_id with a 400 that says to send the full history', () => {
    const error = refusal({ input: 'x', previous_response_id: 'resp_123' });
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'previous_response_id' });
    expect(error.message).toMatch(/stateless/);
    expect(error.message).toMatch(/full conversation history/);
  });

  it('refuses item_reference items, which a store:false backend cannot resolve', () => {
    expect(refusal({ input: [{ type: 'item_reference', id: 'msg_1' }] }).param).toBe('input[0].type');
  });

  it('keeps only service_tier priority and only the encrypted-reasoning include', () => {
    expect(normalise({ input: 'x', service_tier: 'priority' }).request.service_tier).toBe('priority');
    const other = normalise({ input: 'x', service_tier: 'flex', include: ['reasoning.encrypted_content', 'message.output_text.logprobs'] });
    expect(other.request).not.toHaveProperty('service_tier');
    expect(other.request.include).toEqual(['reasoning.encrypted_content']);
    expect(other.warnings.join()).toContain('message.output_text.logprobs');
  });

  it('flattens Chat-style nested tools and passes other tools through; tool_choice only with tools', () => {
    const { request } = normalise({
      input: 'x',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }, { type: 'web_search' }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    expect(request.tools).toEqual([{ type: 'function', name: 'f', parameters: { type: 'object' } }, { type: 'web_search' }]);
    expect([request.tool_choice, request.parallel_tool_calls]).toEqual(['auto', false]);
    expect(normalise({ input: 'x', tool_choice: 'auto' }).request).not.toHaveProperty('tool_choice');
  });

  it('refuses an orphan function_call_output and repairs a call without output', () => {
    expect(refusal({ input: [userItem('q'), { type: 'function_call_output', call_id: 'call_x', output: 'r' }] })).toMatchObject({ param: 'input[1].call_id' });
    const { request, warnings } = normalise({ input: [userItem('q'), { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' }, userItem('next')] });
    expect(request.input[2]).toEqual({ type: 'function_call_output', call_id: 'call_1', output: MISSING_TOOL_RESULT_TEXT });
    expect(warnings.join()).toContain('call_1');
  });

  it('reads reasoning and a model-name effort suffix; the client reasoning object wins', () => {
    expect(normalise({ model: 'gpt-5.5-high', input: 'x' }, 'gpt-5.5').request.reasoning).toEqual({ effort: 'high' });
    expect(normalise({ model: 'gpt-5.5-high', input: 'x', reasoning: { effort: 'low', summary: 'auto' } }, 'gpt-5.5').request.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(refusal({ input: 'x', reasoning: { effort: 'huge' } }).param).toBe('reasoning.effort');
  });

  it('passes text.format and verbosity', () => {
    const format = { type: 'json_schema', name: 'n', schema: { type: 'object' }, strict: true };
    expect(normalise({ input: 'x', text: { format, verbosity: 'low' } }).request.text).toEqual({ format, verbosity: 'low' });
  });

  it('derives one prompt cache key per conversation, or uses the client key', () => {
    const first = normalise({ instructions: 'I', input: [userItem('start')] });
    const later = normalise({ instructions: 'I', input: [userItem('start'), { role: 'assistant', content: 'ok' }, userItem('more')] });
    expect(later.promptCacheKey).toBe(first.promptCacheKey);
    expect(responsesConversationKey(parse({ instructions: 'I', input: 'start' }))).toBe(first.promptCacheKey);
    expect(normalise({ input: 'x', prompt_cache_key: 'mine' }).request.prompt_cache_key).toBe('mine');
  });
});
