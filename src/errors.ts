/**
 * The one error catalogue. Every error a client sees is a ProxyError built by a named constructor, which fixes the
 * HTTP status, the OpenAI `type` and `code`, and a message that says what to do. `test/unit/errors.test.ts` checks
 * that every code is in the README's troubleshooting table.
 */
import { scrubSecrets } from './redact.js';

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'upstream_error';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/** Every code a ProxyError may carry; the README's troubleshooting table lists each one. */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_request',
  'request_too_large',
  'unsupported_parameter',
  'invalid_api_key',
  'forbidden_host',
  'admin_forbidden',
  'not_found',
  'model_not_found',
  'usage_limit_reached',
  'rate_limit_exceeded',
  'credential_needs_login',
  'no_credentials',
  'upstream_error',
  'upstream_unavailable',
  'upstream_timeout',
  'stream_interrupted',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

interface ProxyErrorInit {
  status: number;
  type: OpenAIErrorType | string;
  code: ErrorCode | string;
  message: string;
  param?: string | null;
  retryAfterSeconds?: number;
  /** True when the fault lies with the credential or upstream (worth trying another credential). */
  credentialFault?: boolean;
}

export class ProxyError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  readonly credentialFault: boolean;

  constructor(init: ProxyErrorInit) {
    super(init.message);
    this.name = 'ProxyError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.credentialFault = init.credentialFault ?? false;
  }

  /** The client's error body. The message is scrubbed: an upstream may quote a token or key back in its error text. */
  toBody(): OpenAIErrorBody {
    return { error: { message: scrubSecrets(this.message), type: this.type, code: this.code, param: this.param } };
  }

  static invalidJson(detail: string): ProxyError {
    return new ProxyError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: `The request body is not valid JSON (${detail}). Send a JSON object with Content-Type: application/json.`,
    });
  }

  static invalidRequest(message: string, param: string | null = null): ProxyError {
    return new ProxyError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message, param });
  }

  static unsupportedParameter(param: string, why: string): ProxyError {
    return new ProxyError({
      status: 400,
      type: 'invalid_request_error',
      code: 'unsupported_parameter',
      message: `Unsupported parameter '${param}': ${why}`,
      param,
    });
  }

  static requestTooLarge(limitBytes: number): ProxyError {
    return new ProxyError({
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
      message: `The request body is larger than the configured limit of ${limitBytes} bytes (server.body_limit_bytes).`,
    });
  }

  static invalidApiKey(): ProxyError {
    return new ProxyError({
      status: 401,
      type: 'authentication_error',
      code: 'invalid_api_key',
      message:
        'Missing or wrong client API key. Send one of server.api_keys as "Authorization: Bearer <key>" or "x-api-key: <key>".',
    });
  }

  static forbiddenHost(host: string): ProxyError {
    return new ProxyError({
      status: 403,
      type: 'permission_error',
      code: 'forbidden_host',
      message: `Host header "${host}" is not a loopback name. With no server.api_keys configured, proxycast only answers requests addressed to localhost or 127.0.0.1 (DNS-rebinding guard); set server.api_keys to serve other hosts.`,
    });
  }

  static adminForbidden(): ProxyError {
    return new ProxyError({
      status: 403,
      type: 'permission_error',
      code: 'admin_forbidden',
      message:
        'The admin API answers loopback clients only, or clients that send server.admin_key as "Authorization: Bearer <key>"; state-changing calls must come from the same origin.',
    });
  }

  static notFound(method: string, url: string): ProxyError {
    return new ProxyError({
      status: 404,
      type: 'not_found_error',
      code: 'not_found',
      message: `No route for ${method} ${url}. proxycast serves /v1/chat/completions, /v1/responses, /v1/models, /health and /metrics.`,
    });
  }

  static modelNotFound(model: string, detail: string): ProxyError {
    return new ProxyError({
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      message: `The model '${model}' is not available: ${detail}`,
      param: 'model',
    });
  }

  static usageLimit(credentialIds: string[], resetsAtMs: number | undefined, nowMs: number, plan?: string): ProxyError {
    const retryAfterSeconds = resetsAtMs !== undefined ? Math.max(1, Math.ceil((resetsAtMs - nowMs) / 1000)) : undefined;
    const when = resetsAtMs !== undefined ? ` The earliest reset is at ${new Date(resetsAtMs).toISOString()} (in ${retryAfterSeconds} s).` : '';
    const who = credentialIds.length === 1 ? `Credential '${credentialIds[0]}'` : `Every credential (${credentialIds.join(', ')})`;
    return new ProxyError({
      status: 429,
      type: 'rate_limit_error',
      code: 'usage_limit_reached',
      message: `${who} reached its usage limit${plan ? ` (plan ${plan})` : ''}.${when} Wait for the reset or add another account with \`proxycast login\`.`,
      retryAfterSeconds,
      credentialFault: true,
    });
  }

  static rateLimited(credentialId: string, message: string, retryAfterSeconds?: number): ProxyError {
    return new ProxyError({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: `Credential '${credentialId}' was rate limited upstream: ${message}`,
      retryAfterSeconds,
      credentialFault: true,
    });
  }

  static needsLogin(credentialId: string, reason: string, status = 401): ProxyError {
    return new ProxyError({
      status,
      type: 'authentication_error',
      code: 'credential_needs_login',
      message: `Credential '${credentialId}' cannot be used: ${reason}. Log in again with \`proxycast login\` (or \`codex login\` for the Codex CLI login).`,
      credentialFault: true,
    });
  }

  static noCredentials(summary: string): ProxyError {
    return new ProxyError({
      status: 503,
      type: 'server_error',
      code: 'no_credentials',
      message: `No credential can serve this request: ${summary}`,
      credentialFault: true,
    });
  }

  static upstreamError(credentialId: string, status: number, upstreamMessage: string, code?: string | null): ProxyError {
    return new ProxyError({
      status,
      type: status >= 500 ? 'upstream_error' : 'invalid_request_error',
      code: code ?? 'upstream_error',
      message: `Upstream answered ${status} for credential '${credentialId}': ${upstreamMessage}`,
      credentialFault: status >= 500 || status === 401 || status === 403,
    });
  }

  static upstreamUnavailable(credentialId: string, cause: string): ProxyError {
    return new ProxyError({
      status: 502,
      type: 'upstream_error',
      code: 'upstream_unavailable',
      message: `Could not reach the upstream for credential '${credentialId}': ${cause}. Check your network or the credential's proxy_url.`,
      credentialFault: true,
    });
  }

  static upstreamTimeout(credentialId: string, phase: string): ProxyError {
    return new ProxyError({
      status: 504,
      type: 'upstream_error',
      code: 'upstream_timeout',
      message: `The upstream for credential '${credentialId}' timed out (${phase}).`,
      credentialFault: true,
    });
  }

  static streamInterrupted(credentialId: string, why: string): ProxyError {
    return new ProxyError({
      status: 502,
      type: 'upstream_error',
      code: 'stream_interrupted',
      message: `The upstream stream of credential '${credentialId}' ended before it finished: ${why.replace(/\.+$/, '')}. The answer is incomplete; retry the request.`,
      credentialFault: true,
    });
  }

  static internal(): ProxyError {
    return new ProxyError({
      status: 500,
      type: 'server_error',
      code: 'internal_error',
      message: 'proxycast hit an internal error; the details are in its log.',
    });
  }
}

/** Builds the OpenAI error body for any thrown value; unknown errors become a generic 500 without details. */
export function toOpenAIErrorBody(error: unknown): { status: number; body: OpenAIErrorBody; retryAfterSeconds?: number } {
  const proxyError = error instanceof ProxyError ? error : ProxyError.internal();
  return { status: proxyError.status, body: proxyError.toBody(), retryAfterSeconds: proxyError.retryAfterSeconds };
}
