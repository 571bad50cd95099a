/**
 * Upstream failures → ProxyError (codex-protocol.md 6 and 7.1), as pure functions. The readers that turn an `error`
 * event, a `response.failed` event or an HTTP error body into an UpstreamFailure live with the wire shapes; this
 * module decides what the client is told: the status, the OpenAI code, and when to retry.
 */
import { ProxyError } from '../errors.js';
import type { UpstreamFailure } from '../wire/responses.js';

// Re-exported so that the whole failure mapping can be imported from one place.
export { failureFromErrorObject, failureFromEvent, type UpstreamFailure } from '../wire/responses.js';

/** What the failure mapper needs besides the failure itself. */
export interface FailureContext {
  credentialId: string;
  /** The model named in a model-not-found error. */
  model: string;
  /** Used to turn `resets_in_seconds` into an absolute time and `resets_at` into Retry-After. */
  nowMs: number;
}

/** "Please try again in 11.054s" / "in 20ms" / "in 5 seconds" → whole seconds (Codex sse/responses.rs does the same). */
export function retryAfterFromMessage(message: string): number | undefined {
  const match = /try again in\s*([\d.]+)\s*(ms|milliseconds?|s|sec|seconds?)\b/i.exec(message);
  if (!match?.[1] || !match[2]) return undefined;
  const seconds = Number(match[1]) / (match[2].toLowerCase().startsWith('m') ? 1000 : 1);
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : undefined;
}

/** Maps an upstream failure to a ProxyError: 429 for limits, 400/404/401 for the client's or credential's fault, else 502. */
export function upstreamFailureToProxyError(failure: UpstreamFailure, context: FailureContext): ProxyError {
  const { code, type, message, status } = failure;
  const is = (...names: string[]) => names.some((name) => name === code || name === type);
  if (is('usage_limit_reached', 'insufficient_quota')) {
    const resetsInMs = failure.resetsInSeconds !== undefined ? context.nowMs + failure.resetsInSeconds * 1000 : undefined;
    const resetsAtMs = failure.resetsAt !== undefined ? failure.resetsAt * 1000 : resetsInMs;
    return ProxyError.usageLimit([context.credentialId], resetsAtMs, context.nowMs, failure.planType);
  }
  if (is('rate_limit_exceeded', 'rate_limit_error')) return ProxyError.rateLimited(context.credentialId, message, retryAfterFromMessage(message));
  if (is('usage_not_included')) return ProxyError.upstreamError(context.credentialId, 403, message, 'usage_not_included');
  if (is('context_length_exceeded')) return ProxyError.upstreamError(context.credentialId, 400, message, 'context_length_exceeded');
  // The request's content, not the account, is at fault: another credential would refuse it too.
  if (is('content_policy_violation', 'invalid_prompt', 'cyber_policy')) return ProxyError.upstreamError(context.credentialId, 400, message, code ?? type ?? 'content_policy_violation');
  if (is('model_not_found', 'not_found', 'not_found_error') || status === 404 || /model is not supported/i.test(message)) {
    return ProxyError.modelNotFound(context.model, message);
  }
  if (is('authentication_error', 'token_expired', 'token_revoked', 'invalid_api_key') || status === 401) {
    return ProxyError.needsLogin(context.credentialId, message);
  }
  if (is('invalid_request_error') || status === 400) return ProxyError.upstreamError(context.credentialId, 400, message, code ?? 'invalid_request');
  return ProxyError.upstreamError(context.credentialId, 502, message, code);
}
