import { jwtExpiryMs } from './jwt.js';
import type { OAuthSecret } from './types.js';

/** Codex's fallback when the access token has no readable expiry: refresh after 8 days (codex-protocol.md 2.1). */
export const REFRESH_INTERVAL_WITHOUT_EXPIRY_MS = 8 * 24 * 3600 * 1000;

/** When the access token expires (ms): expires_at, else its JWT exp; undefined when neither is known. */
export function accessTokenExpiry(secret: OAuthSecret): number | undefined {
  return secret.expiresAt ?? jwtExpiryMs(secret.accessToken);
}

/**
 * True when the token should be refreshed at `now`: it expires within `marginMs`, or (no expiry known) its
 * last_refresh is older than 8 days or unknown.
 */
export function isDueForRefresh(secret: OAuthSecret, now: number, marginMs: number): boolean {
  const expiry = accessTokenExpiry(secret);
  if (expiry !== undefined) return expiry - now <= marginMs;
  if (secret.lastRefresh === undefined) return true;
  return now - secret.lastRefresh >= REFRESH_INTERVAL_WITHOUT_EXPIRY_MS;
}

/** True while the access token can still be sent (not past its expiry; an unknown expiry counts as valid). */
export function isStillValid(secret: OAuthSecret, now: number): boolean {
  const expiry = accessTokenExpiry(secret);
  return expiry === undefined || expiry > now;
}

/** True when `a` and `b` hold different tokens (someone refreshed, or a new login). */
export function tokensDiffer(a: OAuthSecret, b: OAuthSecret): boolean {
  return a.accessToken !== b.accessToken || a.refreshToken !== b.refreshToken;
}
