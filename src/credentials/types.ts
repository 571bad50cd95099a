/** The credential model shared by the pool, the token store, the import and the admin API. */

export type CredentialKind = 'oauth' | 'api_key';
export type CredentialSource = 'config' | 'codex-cli' | 'login';
export const CREDENTIAL_STATES = ['active', 'refreshing', 'cooldown', 'needs_login', 'invalid', 'disabled'] as const;
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

/** How a token file is laid out on disk; writes keep the format they read. */
export type TokenFileFormat = 'oauth' | 'api_key' | 'codex-cli';

export interface OAuthSecret {
  kind: 'oauth';
  accessToken: string;
  refreshToken: string;
  idToken?: string | undefined;
  accountId?: string | undefined;
  email?: string | undefined;
  planType?: string | undefined;
  /** Access-token expiry, ms since the epoch: expires_at, else the access-token JWT exp. */
  expiresAt?: number | undefined;
  /** ms since the epoch. */
  lastRefresh?: number | undefined;
}

export interface ApiKeySecret {
  kind: 'api_key';
  apiKey: string;
  /** From the token file (api_base_url/apiBaseUrl), normalised to end in /v1. */
  baseUrl?: string | undefined;
}

export type CredentialSecret = OAuthSecret | ApiKeySecret;

export interface ParsedTokenFile {
  format: TokenFileFormat;
  secret: CredentialSecret;
  /** The whole JSON object as read, so writes keep every key we do not own. */
  raw: Record<string, unknown>;
}
