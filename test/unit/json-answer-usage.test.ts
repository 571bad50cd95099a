import { describe, expect, it } from 'vitest';
import { readJsonAnswer, usageObjectOf } from '../../src/proxy/json-answer.js';
import { tokenUsageFromChat, type TokenUsage } from '../../src/metrics/usage.js';
import { ProxyError } from '../../src/errors.js';

const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } };

describe('usageObjectOf', () => {
  it('finds the top-level usage member of a chat completion, with any spacing', () => {
    const compact = JSON.stringify({ id: 'c1', choices: [{ message: { role: 'assistant', content: 'hi' } }], usage, system_fingerprint: 'fp' });
    expect(usageObjectOf(compact)).toEqual(usage);
    expect(usageObjectOf(JSON.stringify({ id: 'c1', usage }, null, 2))).toEqual(usage);
  });

  it('is not fooled by "usage" inside a string (quotes in strings are escaped)', () => {
    const text = JSON.stringify({ choices: [{ message: { content: 'here is "usage": {"prompt_tokens": 999}' } }] });
    expect(usageObjectOf(text)).toBeUndefined();
    const both = JSON.stringify({ usage, choices: [{ message: { content: '"usage": {"prompt_tokens": 999} and braces } {' } }] });
    expect(usageObjectOf(both)).toEqual(usage);
  });

  it('gives undefined when there is no usage object, or it is null, or cut off', () => {
    expect(usageObjectOf('{"id":"c1"}')).toBeUndefined();
    expect(usageObjectOf('{"id":"c1","usage":null}')).toBeUndefined();
    expect(usageObjectOf('{"id":"c1","usage":{"prompt_tokens":1')).toBeUndefined();
  });
});

describe('readJsonAnswer', () => {
  const read = (text: string) => {
    const seen: TokenUsage[] = [];
    const answer = readJsonAnswer('cred-a', { status: 200, headers: { 'content-type': 'application/json' }, text, secrets: ['sk-secret-abcd1234'] }, tokenUsageFromChat, (one) => seen.push(one));
    return { answer, seen };
  };

  it('counts the usage and passes the text on, with the credential key masked', () => {
    const { answer, seen } = read(JSON.stringify({ id: 'c1', choices: [{ message: { content: 'key sk-secret-abcd1234' } }], usage }));
    expect(seen).toEqual([{ input: 12, output: 3, cached: 4, reasoning: 0 }]);
    expect(answer.kind === 'json' && typeof answer.body === 'string' && answer.body.includes('sk-secret-abcd1234')).toBe(false);
  });

  it('falls back to a whole parse when usage is not an object, and still refuses what is not JSON', () => {
    expect(read('{"id":"c1","usage":null}').seen).toEqual([]);
    for (const text of ['', '<html><body>blocked</body></html>', '{"id":"c1","choices":[', '{"id": "c1"} trailing}']) {
      expect(() => read(text), text).toThrow(ProxyError);
    }
  });
});
