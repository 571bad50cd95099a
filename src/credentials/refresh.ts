import * as oidc from 'openid-client';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { jwtExpiryMs } from './jwt.js';

/** The Codex CLI's public OAuth client id (codex-protocol.md 3.1). */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** Error codes that mean the refresh token can never work again (codex-protocol.md 2.3). */
const PERMANENT_CODES = new Set(['invalid_grant', 'refresh_token_expired', 'refresh_token_reused', 'refresh_token_invalidated']);

const DEFAULT_TIMEOUT_MS = 30_000;

/** What one successful refresh returned. */
export interface RefreshedTokens {
  accessToken: string;
  /** The rotated refresh token; the one presented when the server sent none. */
  refreshToken: string;
  idToken?: string | undefined;
  /** ms since the epoch: from expires_in and the access-token JWT exp (the earlier one when both are there). */
  expiresAt?: number | undefined;
  /** Set when openid-client rejected a 2xx answer and the tokens were read from the raw body instead. */
  warning?: string | undefined;
}

/** A failed refresh: `permanent` means never present this refresh token again; `transient` means try later. */
export class RefreshError extends Error {
  constructor(
    readonly kind: 'permanent' | 'transient',
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RefreshError';
  }
}

/** One refresh call: where, with which refresh token, through which dispatcher (the credential's proxy). */
export interface RefreshRequest {
  /** codex.oauth_issuer; the token endpoint is `<issuer>/oauth/token`. */
  issuer: string;
  refreshToken: string;
  dispatcher: Dispatcher;
  /** The injected clock's now (ms): turns expires_in into expires_at and is openid-client's clock for id_token checks. */
  now: number;
  timeoutMs?: number;
  /** Extra request headers (the Codex originator and User-Agent). */
  headers?: Readonly<Record<string, string>>;
}

interface CapturedExchange {
  status?: number;
  text?: string;
}

/** The error code of a token-endpoint error body: `{"error":{"code"}}`, `{"error":"<code>"}` or top-level `code`. */
export function refreshErrorCode(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.error === 'string') return record.error;
  if (record.error && typeof record.error === 'object') {
    const code = (record.error as Record<string, unknown>).code;
    if (typeof code === 'string') return code;
  }
  return typeof record.code === 'string' ? record.code : undefined;
}

/** Classifies a non-2xx token-endpoint answer: HTTP 401 or a known code is permanent, anything else transient. */
export function classifyRefreshFailure(status: number, text: string): RefreshError {
  const code = refreshErrorCode(safeJson(text));
  if (status === 401 || (code !== undefined && PERMANENT_CODES.has(code))) {
    return new RefreshError('permanent', describePermanent(code, status), status, code);
  }
  return new RefreshError('transient', `the token endpoint answered HTTP ${status}${code ? ` (${code})` : ''}`, status, code);
}

/** Why a permanent failure happened, in words for the credential's reason. */
function describePermanent(code: string | undefined, status: number): string {
  switch (code) {
    case 'refresh_token_reused':
      return 'the refresh token was already used by another program (signed in elsewhere, e.g. the Codex CLI or another proxycast)';
    case 'refresh_token_expired':
      return 'the refresh token has expired';
    case 'refresh_token_invalidated':
      return 'the refresh token was revoked (signed out, or a newer login replaced it)';
    case 'invalid_grant':
      return 'the token endpoint rejected the refresh token (invalid_grant)';
    default:
      return `the token endpoint rejected the refresh token (HTTP ${status}${code ? `, ${code}` : ''})`;
  }
}

/** An error's message with its cause's (openid-client wraps the useful one). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error ?? 'unknown error');
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

function safeJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * openid-client's customFetch, sent through our undici dispatcher, with a timeout; it keeps the raw status and body
 * so that a 2xx answer is never lost to openid-client's stricter response checks (the refresh token is spent by then).
 */
function capturingFetch(request: RefreshRequest, exchange: CapturedExchange): oidc.CustomFetch {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return async (url, options) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const response = await undiciFetch(url, {
      method: options.method,
      headers: { ...options.headers, ...request.headers },
      body: options.body as string | URLSearchParams | Uint8Array | null | undefined,
      redirect: 'manual',
      signal,
      dispatcher: request.dispatcher,
    });
    const text = await response.text();
    exchange.status = response.status;
    exchange.text = text;
    const headers = new Headers([...response.headers]);
    const nullBody = response.status === 204 || response.status === 304;
    return new Response(nullBody ? null : text, { status: response.status, statusText: response.statusText, headers });
  };
}

/**
 * A hand-built openid-client Configuration for the Codex token endpoint: no discovery, a public client, and a clock
 * skew so its id_token time checks use the injected clock.
 */
function tokenEndpointConfig(issuer: string, now: number, fetchFn: oidc.CustomFetch): oidc.Configuration {
  const base = issuer.replace(/\/+$/, '');
  const server: oidc.ServerMetadata = { issuer: base, token_endpoint: `${base}/oauth/token` };
  const metadata: Partial<oidc.ClientMetadata> = { token_endpoint_auth_method: 'none', [oidc.clockSkew]: Math.round((now - Date.now()) / 1000) };
  const config = new oidc.Configuration(server, CODEX_CLIENT_ID, metadata, oidc.None());
  if (new URL(base).protocol === 'http:') oidc.allowInsecureRequests(config);
  config[oidc.customFetch] = fetchFn;
  return config;
}

function expiryOf(accessToken: string, expiresIn: unknown, now: number): number | undefined {
  const fromJwt = jwtExpiryMs(accessToken);
  const seconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' ? Number(expiresIn) : NaN;
  const fromExpiresIn = Number.isFinite(seconds) && seconds > 0 ? now + seconds * 1000 : undefined;
  if (fromJwt !== undefined && fromExpiresIn !== undefined) return Math.min(fromJwt, fromExpiresIn);
  return fromJwt ?? fromExpiresIn;
}

/** Reads the tokens out of a 2xx body; undefined when it has no access_token. */
function tokensFromBody(body: unknown, presented: string, now: number): RefreshedTokens | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.access_token !== 'string' || record.access_token.length === 0) return undefined;
  return {
    accessToken: record.access_token,
    refreshToken: typeof record.refresh_token === 'string' && record.refresh_token.length > 0 ? record.refresh_token : presented,
    idToken: typeof record.id_token === 'string' && record.id_token.length > 0 ? record.id_token : undefined,
    expiresAt: expiryOf(record.access_token, record.expires_in, now),
  };
}

/**
 * One network refresh: POST `<issuer>/oauth/token` (form-encoded client_id, grant_type=refresh_token,
 * refresh_token) through `request.dispatcher`. Throws RefreshError classified permanent or transient.
 */
export async function refreshAccessToken(request: RefreshRequest): Promise<RefreshedTokens> {
  const exchange: CapturedExchange = {};
  const config = tokenEndpointConfig(request.issuer, request.now, capturingFetch(request, exchange));
  let checked: unknown;
  let checkError: unknown;
  try {
    checked = await oidc.refreshTokenGrant(config, request.refreshToken);
  } catch (error) {
    checkError = error;
  }
  if (exchange.status === undefined) throw new RefreshError('transient', `the token endpoint could not be reached (${describeError(checkError)})`);
  if (exchange.status < 200 || exchange.status > 299) throw classifyRefreshFailure(exchange.status, exchange.text ?? '');
  // A 2xx spent the old refresh token: take the tokens even when openid-client's checks (token_type, id_token
  // claims against the wall clock) rejected the answer.
  const tokens = tokensFromBody(checked ?? safeJson(exchange.text), request.refreshToken, request.now);
  if (!tokens) throw new RefreshError('transient', `the token endpoint answered HTTP ${exchange.status} without an access_token`, exchange.status);
  if (checkError) tokens.warning = `openid-client rejected the answer (${describeError(checkError)}); used its raw tokens`;
  return tokens;
}
