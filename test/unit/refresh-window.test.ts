import { describe, expect, it } from 'vitest';
import { accessTokenExpiry, isDueForRefresh } from '../../src/credentials/token-expiry.js';
import type { OAuthSecret } from '../../src/credentials/types.js';
import { fakeAccessToken } from '../helpers/fake-jwt.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const MARGIN_MS = 300_000;
const DAY_MS = 24 * 3600 * 1000;

function secretExpiringIn(seconds: number, overrides: Partial<OAuthSecret> = {}): OAuthSecret {
  return { kind: 'oauth', accessToken: fakeAccessToken({ nowMs: NOW, lifetimeSeconds: seconds }), refreshToken: 'rt_x', ...overrides };
}

describe('when a token is due for refresh', () => {
  it('is due 4 minutes before expiry and not 6 minutes before (5-minute margin, from the JWT exp)', () => {
    expect(isDueForRefresh(secretExpiringIn(240), NOW, MARGIN_MS)).toBe(true);
    expect(isDueForRefresh(secretExpiringIn(360), NOW, MARGIN_MS)).toBe(false);
  });

  it('prefers expires_at over the JWT exp', () => {
    const secret = secretExpiringIn(10 * 24 * 3600, { expiresAt: NOW + 60_000 });
    expect(accessTokenExpiry(secret)).toBe(NOW + 60_000);
    expect(isDueForRefresh(secret, NOW, MARGIN_MS)).toBe(true);
  });

  it('falls back to last_refresh older than 8 days when no expiry is known', () => {
    const opaque = { kind: 'oauth' as const, accessToken: 'opaque-access-token', refreshToken: 'rt_x' };
    expect(isDueForRefresh({ ...opaque, lastRefresh: NOW - 9 * DAY_MS }, NOW, MARGIN_MS)).toBe(true);
    expect(isDueForRefresh({ ...opaque, lastRefresh: NOW - 7 * DAY_MS }, NOW, MARGIN_MS)).toBe(false);
  });

  it('does not refresh a still-valid token just because last_refresh is old', () => {
    expect(isDueForRefresh(secretExpiringIn(3600, { lastRefresh: NOW - 9 * DAY_MS }), NOW, MARGIN_MS)).toBe(false);
  });
});
