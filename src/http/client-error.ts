import http from 'node:http';
import type { Socket } from 'node:net';
import { ProxyError } from '../errors.js';

/** What a request Node's HTTP parser refused gets: the catalogue error for its parser code. */
function clientErrorFor(code: string | undefined): ProxyError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new ProxyError({ status: 431, type: 'invalid_request_error', code: 'request_too_large', message: 'The request headers are larger than the server accepts (16 KB).' });
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ProxyError({ status: 408, type: 'invalid_request_error', code: 'invalid_request', message: 'The request did not arrive in time.' });
  }
  return ProxyError.invalidRequest(`The request is not valid HTTP/1.1 (${code ?? 'parse error'}): a header holds a CR, LF or NUL, or the request line or framing is malformed.`);
}

/**
 * Fastify's clientErrorHandler: a request that never became a request (Node's parser refused it) is answered in the
 * OpenAI error shape, then the socket is closed, as Node and Fastify do.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const proxyError = clientErrorFor(error.code);
  if (socket.writable) {
    const body = JSON.stringify(proxyError.toBody());
    const reason = http.STATUS_CODES[proxyError.status] ?? 'Bad Request';
    socket.write(`HTTP/1.1 ${proxyError.status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
