import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import {
  createChatChunkTranslator,
  toChatCompletion,
  type ChatChunkTranslatorOptions,
} from '../../src/translate/responses-to-chat.js';
import type { ChatChunk, ChatCompletion, ChatUsage } from '../../src/wire/chat.js';
import { parseResponsesEvent, type ResponsesStreamEvent } from '../../src/wire/responses.js';
import { readResponsesFixture } from '../helpers/mock-codex.js';

const options: ChatChunkTranslatorOptions = { model: 'gpt-4o', completionId: 'chatcmpl-test', created: 1767225600, credentialId: 'codex-main' };

function eventsOf(name: string): ResponsesStreamEvent[] {
  return readResponsesFixture(name).map((payload) => parseResponsesEvent(payload));
}

/** Streams a fixture; returns the chunks and the error thrown by push or finish, if any. */
function stream(name: string, includeUsage: boolean) {
  const translator = createChatChunkTranslator({ ...options, includeUsage });
  const chunks: ChatChunk[] = [];
  let error: unknown;
  let emittedBeforeFailure: boolean | undefined;
  try {
    for (const event of eventsOf(name)) {
      emittedBeforeFailure = translator.state.outputEmitted;
      chunks.push(...translator.push(event));
    }
    emittedBeforeFailure = translator.state.outputEmitted;
    chunks.push(...translator.finish());
  } catch (caught) {
    error = caught;
  }
  return { chunks, error, emittedBeforeFailure, state: translator.state };
}

const usage = (prompt: number, completion: number, cached = 0, reasoning = 0): ChatUsage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached },
  completion_tokens_details: { reasoning_tokens: reasoning },
});
const call = (id: string, name: string, args: string) => ({ id, type: 'function' as const, function: { name, arguments: args } });

type Expected = { content: string | null; reasoning?: string; toolCalls?: ReturnType<typeof call>[]; finish: string; usage: ChatUsage };
const successes: Record<string, Expected> = {
  'text.1': { content: 'Héllo, wörld 👋 — ça va?', finish: 'stop', usage: usage(12, 7) },
  'tool-call.1': { content: null, toolCalls: [call('call_weather_1', 'get_weather', '{"city":"Paris"}')], finish: 'tool_calls', usage: usage(40, 18) },
  'parallel-tool-calls.1': {
    content: 'Checking both cities.',
    toolCalls: [call('call_paris', 'get_weather', '{"city":"Paris"}'), call('call_tokyo', 'get_time', '{"zone":"Asia/Tokyo"}')],
    finish: 'tool_calls',
    usage: usage(55, 30),
  },
  'interleaved-tool-calls.1': {
    content: null,
    toolCalls: [call('call_a', 'get_weather', '{"city":"Oslo"}'), call('call_b', 'get_weather', '{"city":"Lima"}')],
    finish: 'tool_calls',
    usage: usage(60, 24),
  },
  'reasoning-text.1': { content: '2 + 2 = 4', reasoning: '**Planning** the answer\n\n**Checking** the sum', finish: 'stop', usage: usage(20, 90, 0, 80) },
  'usage-details.1': { content: 'Cached hello.', finish: 'stop', usage: usage(2048, 320, 1536, 256) },
  'incomplete-max-output-tokens.1': { content: 'This answer was cut', finish: 'length', usage: usage(30, 16) },
  'content-filter.1': { content: 'I started to', finish: 'content_filter', usage: usage(25, 4) },
  'unknown-events.1': { content: 'still fine', finish: 'stop', usage: usage(5, 2) },
  'done-items-only.1': { content: 'From the done item.', toolCalls: [call('call_done_1', 'lookup', '{"q":"x"}')], finish: 'tool_calls', usage: usage(9, 9) },
};

describe('streaming translation of each successful fixture', () => {
  for (const [name, expected] of Object.entries(successes)) {
    it(`${name}: role chunk first, one finish_reason last, usage chunk with choices: []`, () => {
      const { chunks, error } = stream(name, true);
      expect(error).toBeUndefined();
      for (const chunk of chunks) expect(chunk).toMatchObject({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1767225600, model: 'gpt-4o' });
      expect(chunks[0]?.choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
      const finishes = chunks.flatMap((chunk) => chunk.choices.filter((choice) => choice.finish_reason !== null));
      expect(finishes.map((choice) => choice.finish_reason)).toEqual([expected.finish]);
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe(expected.finish);
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: expected.usage });
      expect(chunks.filter((chunk) => chunk.usage)).toHaveLength(1);
    });

    it(`${name}: toChatCompletion folds the same answer`, () => {
      const completion = toChatCompletion(eventsOf(name), options);
      const message: ChatCompletion['choices'][number]['message'] = {
        role: 'assistant',
        content: expected.content,
        refusal: null,
        ...(expected.reasoning ? { reasoning_content: expected.reasoning } : {}),
        ...(expected.toolCalls ? { tool_calls: expected.toolCalls } : {}),
      };
      expect(completion).toEqual({
        id: 'chatcmpl-test', object: 'chat.completion', created: 1767225600, model: 'gpt-4o',
        choices: [{ index: 0, message, finish_reason: expected.finish }],
        usage: expected.usage,
      });
    });
  }

  it('sends no usage chunk when includeUsage is off', () => {
    const { chunks } = stream('usage-details.1', false);
    expect(chunks.some((chunk) => chunk.usage || chunk.choices.length === 0)).toBe(false);
  });

  it('streams a tool call as one announcing fragment then argument fragments, never repeating the arguments', () => {
    const fragments = stream('tool-call.1', false).chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(fragments).toEqual([
      { index: 0, id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
    ]);
  });

  it('keeps interleaved argument deltas with their own call', () => {
    const fragments = stream('interleaved-tool-calls.1', false).chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(fragments.filter((fragment) => !fragment.id).map((fragment) => [fragment.index, fragment.function.arguments])).toEqual([
      [1, '{"city":'], [0, '{"city":'], [0, '"Oslo"}'], [1, '"Lima"}'],
    ]);
  });

  it('puts reasoning into delta.reasoning_content with a blank line between summary parts', () => {
    const reasoning = stream('reasoning-text.1', false).chunks.map((chunk) => chunk.choices[0]?.delta.reasoning_content).filter(Boolean);
    expect(reasoning).toEqual(['**Planning** ', 'the answer', '\n\n**Checking** the sum']);
  });

  it('ignores events after the terminal event', () => {
    const translator = createChatChunkTranslator(options);
    for (const event of eventsOf('text.1')) translator.push(event);
    expect(translator.push(parseResponsesEvent({ type: 'response.output_text.delta', item_id: 'x', delta: 'late' }))).toEqual([]);
    expect(translator.finish()).toEqual([]);
  });
});

describe('failures', () => {
  const failureOf = (name: string) => {
    const result = stream(name, true);
    expect(result.error).toBeInstanceOf(ProxyError);
    return { ...result, error: result.error as ProxyError };
  };

  it('response.failed before output: a 429 with retry-after, and nothing emitted yet', () => {
    const { error, chunks, emittedBeforeFailure, state } = failureOf('failed-before-output.1');
    expect([error.status, error.code, error.retryAfterSeconds, error.credentialFault]).toEqual([429, 'rate_limit_exceeded', 12, true]);
    expect(chunks).toEqual([]);
    expect(emittedBeforeFailure).toBe(false);
    expect(state.failure).toBe(error);
  });

  it('response.failed after output: text was emitted, then a 502 with the upstream code', () => {
    const { error, chunks, emittedBeforeFailure } = failureOf('failed-after-output.1');
    expect([error.status, error.code]).toEqual([502, 'server_error']);
    expect(emittedBeforeFailure).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Partial answer');
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
  });

  it('nested error event "model is not supported" → 404 model_not_found naming the model', () => {
    const { error } = failureOf('error-event-nested.1');
    expect([error.status, error.code, error.param]).toEqual([404, 'model_not_found', 'model']);
    expect(error.message).toContain("'gpt-4o'");
    expect(error.message).toContain('not supported when using Codex');
  });

  it('top-level error event context_length_exceeded → 400 with that code', () => {
    const { error } = failureOf('error-event-top-level.1');
    expect([error.status, error.code, error.credentialFault]).toEqual([400, 'context_length_exceeded', false]);
  });

  it('a stream without response.completed ends in stream_interrupted from finish(), never a clean end', () => {
    const { error, chunks } = failureOf('truncated.1');
    expect([error.status, error.code]).toEqual([502, 'stream_interrupted']);
    expect(error.message).toContain("'codex-main'");
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('This stream stops here');
    expect(() => toChatCompletion(eventsOf('truncated.1'), options)).toThrow(/before response.completed/);
  });

  it('toChatCompletion throws the mapped failure', () => {
    expect(() => toChatCompletion(eventsOf('failed-before-output.1'), options)).toThrowError(ProxyError);
  });
});
