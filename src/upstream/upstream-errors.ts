import type { IncomingHttpHeaders } from 'node:http';
import { ProxyError } from '../errors.js';
import { scrubSecrets } from '../redact.js';

interface UpstreamErrorFields {
  message?: string | undefined;
  code?: string | undefined;
  type?: string | undefined;
  param?: string | undefined;
  plan?: string | undefined;
  resetsAtMs?: number | undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Reads the fields of the upstream error shapes: OpenAI `{error:{…}}`, FastAPI `{detail}`, `{error:"code"}`. */
export function parseUpstreamErrorBody(text: string, nowMs: number): UpstreamErrorFields {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    const looksHtml = /^<(!doctype|html)/i.test(trimmed);
    return { message: looksHtml ? 'the upstream answered with an HTML page instead of JSON' : trimmed.slice(0, 300) || undefined };
  }
  const root = asRecord(json) ?? {};
  const error = asRecord(root.error);
  const detail = root.detail;
  const message = str(error?.message) ?? str(detail) ?? (asRecord(detail) ? JSON.stringify(detail) : undefined) ?? str(root.message) ?? str(root.error);
  const resetsAt = typeof error?.resets_at === 'number' ? error.resets_at * 1000 : undefined;
  const resetsIn = typeof error?.resets_in_seconds === 'number' ? nowMs + error.resets_in_seconds * 1000 : undefined;
  return {
    message,
    code: str(error?.code) ?? str(root.code) ?? (typeof root.error === 'string' ? root.error : undefined),
    type: str(error?.type),
    param: str(error?.param),
    plan: str(error?.plan_type),
    resetsAtMs: resetsAt ?? resetsIn,
  };
}

/** The reset time of a rate-limited answer from its headers: Retry-After, or the x-codex-*-reset-* family. */
export function resetFromHeaders(headers: IncomingHttpHeaders, nowMs: number): number | undefined {
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) return nowMs + retryAfter * 1000;
  for (const window of ['primary', 'secondary']) {
    const used = Number(headers[`x-codex-${window}-used-percent`]);
    if (!(used >= 100)) continue;
    const at = Number(headers[`x-codex-${window}-reset-at`]);
    if (Number.isFinite(at) && at > 0) return at * 1000;
    const after = Number(headers[`x-codex-${window}-reset-after-seconds`]);
    if (Number.isFinite(after) && after > 0) return nowMs + after * 1000;
  }
  return undefined;
}

/** Turns a non-2xx upstream answer into the catalogue error the client sees (credential id in the message). */
export function errorFromUpstream(credentialId: string, status: number, headers: IncomingHttpHeaders, bodyText: string, nowMs: number): ProxyError {
  const fields = parseUpstreamErrorBody(scrubSecrets(bodyText), nowMs);
  const message = fields.message ?? `HTTP ${status}`;
  if (status === 429) {
    const resetsAt = fields.resetsAtMs ?? resetFromHeaders(headers, nowMs);
    if (fields.type === 'usage_limit_reached' || fields.code === 'usage_limit_reached' || fields.type === 'usage_not_included') {
      return ProxyError.usageLimit([credentialId], resetsAt, nowMs, fields.plan);
    }
    const retryAfter = resetsAt !== undefined ? Math.max(1, Math.ceil((resetsAt - nowMs) / 1000)) : undefined;
    return ProxyError.rateLimited(credentialId, message, retryAfter);
  }
  if (/model is not supported|model_not_found|does not exist|not supported when using codex/i.test(message) || fields.code === 'model_not_found') {
    return new ProxyError({ status: 404, type: 'invalid_request_error', code: 'model_not_found', message: `Upstream for credential '${credentialId}': ${message}`, param: 'model' });
  }
  if (status === 401) {
    return new ProxyError({ status: 401, type: 'authentication_error', code: fields.code ?? 'upstream_error', message: `Upstream rejected the token of credential '${credentialId}': ${message}`, credentialFault: true });
  }
  if (status === 403) {
    return new ProxyError({ status: 403, type: 'permission_error', code: fields.code ?? 'upstream_error', message: `Upstream refused credential '${credentialId}': ${message}`, credentialFault: true });
  }
  if (status >= 500) return ProxyError.upstreamError(credentialId, status === 503 ? 503 : 502, `${status} ${message}`, fields.code);
  return new ProxyError({ status, type: fields.type ?? 'invalid_request_error', code: fields.code ?? 'upstream_error', message: `Upstream answered ${status} for credential '${credentialId}': ${message}`, param: fields.param ?? null });
}
