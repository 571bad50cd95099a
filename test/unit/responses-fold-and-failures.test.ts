import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import {
  failureFromErrorObject,
  mapFinishReason,
  mapUsage,
  retryAfterFromMessage,
  toResponsesObject,
  upstreamFailureToProxyError,
  type UpstreamFailure,
} from '../../src/translate/responses-to-chat.js';
import { parseResponsesEvent, type ResponsesStreamEvent } from '../../src/wire/responses.js';
import { readResponsesFixture } from '../helpers/mock-codex.js';

const context = { credentialId: 'codex-main', model: 'gpt-5.5', nowMs: 1_767_225_600_000 };
const eventsOf = (name: string): ResponsesStreamEvent[] => readResponsesFixture(name).map((payload) => parseResponsesEvent(payload));

describe('toResponsesObject (non-stream /v1/responses)', () => {
  it('rebuilds an empty completed.output from output_item.done events', () => {
    const response = toResponsesObject(eventsOf('reasoning-text.1'), context);
    expect(response).toMatchObject({ id: 'resp_reason1', status: 'completed', usage: { output_tokens: 90 } });
    const output = response.output as Array<Record<string, unknown>>;
    expect(output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(output[0]).toMatchObject({ encrypted_content: 'gAAAAfakeEncryptedReasoningForTests' });
    expect(output[1]).toMatchObject({ content: [{ type: 'output_text', text: '2 + 2 = 4' }] });
  });

  it('orders rebuilt items by output_index, not by arrival', () => {
    const output = toResponsesObject(eventsOf('interleaved-tool-calls.1'), context).output as Array<Record<string, unknown>>;
    expect(output.map((item) => item.call_id)).toEqual(['call_a', 'call_b']);
  });

  it('keeps a non-empty completed.output as sent', () => {
    const events = [
      parseResponsesEvent({ type: 'response.output_item.done', output_index: 0, item: { type: 'message', id: 'm1', content: [] } }),
      parseResponsesEvent({ type: 'response.completed', response: { id: 'r', status: 'completed', output: [{ type: 'message', id: 'kept' }] } }),
    ];
    expect(toResponsesObject(events, context).output).toEqual([{ type: 'message', id: 'kept' }]);
  });

  it('returns an incomplete response with its details', () => {
    expect(toResponsesObject(eventsOf('incomplete-max-output-tokens.1'), context)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
  });

  it('throws the mapped failure, and stream_interrupted for a truncated stream', () => {
    expect(() => toResponsesObject(eventsOf('failed-after-output.1'), context)).toThrowError(ProxyError);
    expect(() => toResponsesObject(eventsOf('error-event-top-level.1'), context)).toThrow(/context window/);
    try {
      toResponsesObject(eventsOf('truncated.1'), context);
      expect.fail('a truncated stream must not fold cleanly');
    } catch (error) {
      expect((error as ProxyError).code).toBe('stream_interrupted');
    }
  });
});

describe('mapFinishReason and mapUsage', () => {
  it.each([
    [{ status: 'completed', sawToolCall: false }, 'stop'],
    [{ status: 'completed', sawToolCall: true }, 'tool_calls'],
    [{ status: 'incomplete', incompleteReason: 'max_output_tokens', sawToolCall: true }, 'length'],
    [{ status: 'incomplete', incompleteReason: 'content_filter', sawToolCall: false }, 'content_filter'],
    [{ status: 'incomplete', incompleteReason: null, sawToolCall: false }, 'length'],
  ] as const)('%o → %s', (input, expected) => {
    expect(mapFinishReason(input)).toBe(expected);
  });

  it('treats null detail objects and a missing total as zero / the sum', () => {
    expect(mapUsage({ input_tokens: 3, input_tokens_details: null, output_tokens: 4, output_tokens_details: null })).toEqual({
      prompt_tokens: 3, completion_tokens: 4, total_tokens: 7,
      prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 },
    });
  });
});

describe('upstream failure → ProxyError (codex-protocol.md 7.1)', () => {
  const map = (failure: UpstreamFailure) => upstreamFailureToProxyError(failure, context);

  it.each([
    [{ code: 'rate_limit_exceeded', message: 'Please try again in 11.054s.' }, 429, 'rate_limit_exceeded'],
    [{ type: 'rate_limit_error', message: 'slow down' }, 429, 'rate_limit_exceeded'],
    [{ code: 'context_length_exceeded', message: 'too long' }, 400, 'context_length_exceeded'],
    [{ type: 'invalid_request_error', message: 'bad', code: 'invalid_value' }, 400, 'invalid_value'],
    [{ type: 'invalid_request_error', message: 'bad' }, 400, 'invalid_request'],
    [{ code: 'model_not_found', message: 'no such model' }, 404, 'model_not_found'],
    [{ code: 'not_found', message: 'gone' }, 404, 'model_not_found'],
    [{ type: 'authentication_error', message: 'who are you' }, 401, 'credential_needs_login'],
    [{ code: 'token_expired', message: 'expired', status: 401 }, 401, 'credential_needs_login'],
    [{ code: 'usage_not_included', message: 'plan lacks Codex' }, 403, 'usage_not_included'],
    [{ code: 'server_is_overloaded', message: 'busy' }, 502, 'server_is_overloaded'],
    [{ message: 'mystery' }, 502, 'upstream_error'],
  ] as Array<[UpstreamFailure, number, string]>)('%o → %i %s', (failure, status, code) => {
    const error = map(failure);
    expect([error.status, error.code]).toEqual([status, code]);
  });

  it('usage_limit_reached: 429 with Retry-After from resets_at, and the plan', () => {
    const error = map({ type: 'usage_limit_reached', message: 'The usage limit has been reached', resetsAt: context.nowMs / 1000 + 3600, planType: 'plus' });
    expect([error.status, error.code, error.retryAfterSeconds]).toEqual([429, 'usage_limit_reached', 3600]);
    expect(error.message).toContain('plan plus');
  });

  it('usage_limit_reached: falls back to resets_in_seconds', () => {
    expect(map({ type: 'usage_limit_reached', message: 'limit', resetsInSeconds: 90 }).retryAfterSeconds).toBe(90);
  });

  it('reads the HTTP 429 body shape of the backend', () => {
    const body = { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'pro', resets_at: 1_767_229_200, eligible_promo: null, resets_in_seconds: 3600 } };
    const failure = failureFromErrorObject(body.error, 429);
    expect(failure).toEqual({ message: 'The usage limit has been reached', type: 'usage_limit_reached', planType: 'pro', status: 429, resetsAt: 1_767_229_200, resetsInSeconds: 3600 });
    expect(map(failure).retryAfterSeconds).toBe(3600);
  });

  it('reads a FastAPI {"detail"} body', () => {
    expect(failureFromErrorObject({ detail: 'Store must be set to false' }, 400)).toEqual({ message: 'Store must be set to false', status: 400 });
  });

  it.each([
    ['Please try again in 11.054s.', 12],
    ['try again in 20ms', 1],
    ['Try again in 5 seconds', 5],
    ['no hint here', undefined],
  ])('retry-after from %j is %s', (message, seconds) => {
    expect(retryAfterFromMessage(message)).toBe(seconds);
  });
});
