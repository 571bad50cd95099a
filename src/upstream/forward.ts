import { request, errors as undiciErrors, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { ProxyError } from '../errors.js';
import type { CancelSignal } from './cancel-signal.js';
import { dispatchUpstream } from './dispatch.js';

export interface UpstreamTimeouts {
  /** Until the response headers arrive. */
  firstByteMs: number;
  /** Between two body chunks. */
  idleMs: number;
}

export interface UpstreamCall {
  credentialId: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Buffer | undefined;
  dispatcher: Dispatcher;
  signal: CancelSignal;
  timeouts: UpstreamTimeouts;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
  /** The credential's own secrets: if the upstream echoes one into an answer passed on as is, it is masked. */
  secrets?: readonly string[];
}

/** Sends one upstream request with undici; transport failures become ProxyErrors that name the credential. */
export async function sendUpstream(call: UpstreamCall): Promise<UpstreamResponse> {
  try {
    const response = await request(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      dispatcher: call.dispatcher,
      // undici takes any object with addEventListener/removeEventListener and `aborted` (util.addAbortListener).
      signal: call.signal as unknown as AbortSignal,
      headersTimeout: call.timeouts.firstByteMs,
      bodyTimeout: call.timeouts.idleMs,
    });
    return { status: response.statusCode, headers: response.headers, body: response.body };
  } catch (error) {
    throw transportError(call.credentialId, error);
  }
}

/** An upstream answer read whole: status, headers and the body as text. */
export interface UpstreamText {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Sends one upstream request and reads the whole answer as text, through undici's dispatch API: no body stream is
 * made, which is most of what a small JSON answer costs (the non-stream hot path). Errors as sendUpstream's.
 */
export function sendUpstreamForText(call: UpstreamCall): Promise<UpstreamText> {
  return new Promise<UpstreamText>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    dispatchUpstream(call, {
      onStart(statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
      },
      onData(chunk) {
        // An error answer is read for its message only: its first 64 kB are kept, the rest is drained unkept.
        if (status >= 400 && size >= ERROR_TEXT_LIMIT) return;
        chunks.push(chunk);
        size += chunk.length;
      },
      onEnd() {
        resolve({ status, headers, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
      },
      onError(error) {
        reject(transportError(call.credentialId, error));
      },
    });
  });
}

/** How much of an error answer is kept for its message. */
export const ERROR_TEXT_LIMIT = 64 * 1024;

/** Maps an undici/socket error to the catalogue (connect/first-byte/idle timeouts, refused, reset). */
export function transportError(credentialId: string, error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  if (error instanceof undiciErrors.HeadersTimeoutError) return ProxyError.upstreamTimeout(credentialId, 'no response headers within upstream.first_byte_timeout_ms');
  if (error instanceof undiciErrors.BodyTimeoutError) return ProxyError.upstreamTimeout(credentialId, 'the stream went idle for longer than upstream.idle_timeout_ms');
  if (error instanceof undiciErrors.ConnectTimeoutError) return ProxyError.upstreamTimeout(credentialId, 'connecting took longer than upstream.connect_timeout_ms');
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const message = (error as Error).message ?? String(error);
  return ProxyError.upstreamUnavailable(credentialId, code ? `${code}: ${message}` : message);
}
