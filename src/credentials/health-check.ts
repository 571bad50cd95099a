import { request, type Dispatcher } from 'undici';
import type { Clock } from '../deps.js';
import { codexBackendHeaders } from '../proxy/codex-headers.js';
import { scrubSecrets } from '../redact.js';
import type { CredentialSecret } from './types.js';

/**
 * One cheap authenticated call that tells whether a credential works: GET <base>/models. API keys send a Bearer key;
 * ChatGPT logins call the Codex backend's catalog (`/models?client_version=`) with the headers Codex sends
 * (codex-protocol.md 5.1, 5.2). It never throws and never puts a secret in its message.
 */

export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 5000;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_DETAIL_CHARS = 200;

/** What is checked: the secret and where it is sent (baseUrl is the effective base URL). */
export interface HealthCheckTarget {
  secret: CredentialSecret;
  baseUrl: string;
  extraHeaders?: Readonly<Record<string, string>> | undefined;
  queryParams?: Readonly<Record<string, string>> | undefined;
}

export interface HealthCheckOptions {
  dispatcher: Dispatcher;
  /** codex.client_version: sent as client_version and in the User-Agent of ChatGPT calls. */
  clientVersion: string;
  timeoutMs?: number | undefined;
  /** For latencyMs; defaults to performance.now. */
  clock?: Clock | undefined;
  userAgent?: string | undefined;
}

export interface HealthCheckResult {
  ok: boolean;
  status?: number | undefined;
  message: string;
  latencyMs: number;
}

function modelsRequest(target: HealthCheckTarget, options: HealthCheckOptions): { url: URL; headers: Record<string, string> } {
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/models`);
  for (const [key, value] of Object.entries(target.queryParams ?? {})) url.searchParams.set(key, value);
  // Provider headers lower-cased and first, so that none of them can replace (or double) the credential's own.
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.extraHeaders ?? {})) extra[name.toLowerCase()] = value;
  extra.accept = 'application/json';
  const secret = target.secret;
  if (secret.kind === 'api_key') return { url, headers: { ...extra, authorization: `Bearer ${secret.apiKey}` } };
  url.searchParams.set('client_version', options.clientVersion);
  const headers = codexBackendHeaders(secret, options.clientVersion, extra);
  if (options.userAgent) headers['user-agent'] = options.userAgent;
  return { url, headers };
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer);
    size += buffer.length;
    if (size >= MAX_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function field(value: unknown, key: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** How many models a list answer holds: OpenAI `data`, Codex backend `models`. */
function modelCount(json: unknown): number | undefined {
  const list = field(json, 'data') ?? field(json, 'models');
  return Array.isArray(list) ? list.length : undefined;
}

/** The upstream's own words from an error body (OpenAI `error.message`, `detail`, or the text), short. */
function errorDetail(text: string): string {
  const json = parseJson(text);
  const error = field(json, 'error');
  const candidate = field(error, 'message') ?? (typeof error === 'string' ? error : undefined) ?? field(json, 'detail') ?? field(json, 'message');
  const detail = (typeof candidate === 'string' ? candidate : json === undefined ? text : '').replace(/\s+/g, ' ').trim();
  return detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}...` : detail;
}

function statusAdvice(status: number, kind: CredentialSecret['kind']): string {
  if (status === 401) return kind === 'oauth' ? 'the login was refused: the access token may have expired (it is refreshed before use) or been revoked (run `codex login` or `proxycast login`)' : 'the API key was refused';
  if (status === 403) return 'access forbidden for this credential or network';
  if (status === 404) return 'no models list at this base URL; check the base URL (the credential is kept)';
  if (status === 429) return 'authenticated, but rate-limited or at its usage limit';
  if (status >= 500) return 'the upstream failed';
  return 'unexpected answer';
}

function errorCode(error: unknown): string | undefined {
  const code = field(error, 'code') ?? field(field(error, 'cause'), 'code');
  if (typeof code === 'string') return code;
  const inner = field(error, 'errors');
  return Array.isArray(inner) ? errorCode(inner[0]) : undefined;
}

function transportMessage(error: unknown, url: URL, timedOut: boolean, timeoutMs: number): string {
  const where = `${url.protocol}//${url.host}`;
  if (timedOut) return `no answer from ${where} within ${timeoutMs} ms`;
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return `connection refused by ${where}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${url.hostname}`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return `no answer from ${where} within ${timeoutMs} ms`;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot reach ${where}: ${code ? `${code} ` : ''}${message}`;
}

/** Calls GET <base>/models once with the credential, bounded by timeoutMs (default 5 s); never throws. */
export async function checkCredentialHealth(target: HealthCheckTarget, options: HealthCheckOptions): Promise<HealthCheckResult> {
  const clock = options.clock ?? { now: () => performance.now() };
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS;
  const secrets = target.secret.kind === 'api_key' ? [target.secret.apiKey] : [target.secret.accessToken, target.secret.refreshToken];
  const started = clock.now();
  const finish = (ok: boolean, message: string, status?: number): HealthCheckResult => ({
    ok,
    status,
    message: scrubSecrets(message, secrets),
    latencyMs: Math.max(0, Math.round(clock.now() - started)),
  });
  let call: { url: URL; headers: Record<string, string> };
  try {
    call = modelsRequest(target, options);
  } catch {
    return finish(false, `base URL "${target.baseUrl}" is not a URL`);
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  timer.unref();
  try {
    const response = await request(call.url, {
      method: 'GET',
      headers: call.headers,
      dispatcher: options.dispatcher,
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await readCapped(response.body);
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      const count = modelCount(parseJson(text));
      return finish(true, `${status} from ${call.url.host}${count === undefined ? '' : `, ${count} models`}`, status);
    }
    const detail = errorDetail(text);
    return finish(false, `${status} from ${call.url.host}: ${statusAdvice(status, target.secret.kind)}${detail ? ` (${detail})` : ''}`, status);
  } catch (error) {
    return finish(false, transportMessage(error, call.url, timedOut, timeoutMs));
  } finally {
    clearTimeout(timer);
  }
}
