import { describe, expect, it } from 'vitest';
import { classifyRefreshFailure, refreshErrorCode } from '../../src/credentials/refresh.js';

describe('refresh failure classification', () => {
  it('reads the code from {"error":{"code"}}, {"error":"<code>"} and a top-level code', () => {
    expect(refreshErrorCode({ error: { code: 'refresh_token_reused', message: 'x' } })).toBe('refresh_token_reused');
    expect(refreshErrorCode({ error: 'invalid_grant', error_description: 'x' })).toBe('invalid_grant');
    expect(refreshErrorCode({ code: 'refresh_token_expired' })).toBe('refresh_token_expired');
    expect(refreshErrorCode({ message: 'no code here' })).toBeUndefined();
    expect(refreshErrorCode('not an object')).toBeUndefined();
  });

  it.each([
    [400, '{"error":{"code":"refresh_token_expired"}}', 'refresh_token_expired'],
    [400, '{"error":{"code":"refresh_token_reused"}}', 'refresh_token_reused'],
    [400, '{"error":{"code":"refresh_token_invalidated"}}', 'refresh_token_invalidated'],
    [400, '{"error":"invalid_grant"}', 'invalid_grant'],
    [401, '{"error":{"code":"something_new"}}', 'something_new'],
    [401, 'not json', undefined],
  ])('HTTP %i %s is permanent', (status, body, code) => {
    const error = classifyRefreshFailure(status, body);
    expect(error.kind).toBe('permanent');
    expect(error.code).toBe(code);
  });

  it.each([
    [500, '{"error":"server_error"}'],
    [503, ''],
    [429, '{"error":{"code":"rate_limited"}}'],
    [400, '{"error":"invalid_request"}'],
  ])('HTTP %i %s is transient', (status, body) => {
    expect(classifyRefreshFailure(status, body).kind).toBe('transient');
  });

  it('says in words that a reused token means another program signed in elsewhere', () => {
    expect(classifyRefreshFailure(401, '{"error":{"code":"refresh_token_reused"}}').message).toMatch(/already used by another program/);
  });
});
