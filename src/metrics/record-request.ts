import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';

const PROXIED_ROUTES = new Set(['/v1/chat/completions', '/v1/responses']);

/** Counts one finished proxied request in the metrics and the persisted usage (only requests that reached a credential or failed for one). */
export function recordProxiedRequest(runtime: Runtime, request: FastifyRequest, reply: FastifyReply, startedAt: number): void {
  const route = request.url.split('?')[0] ?? '';
  if (!PROXIED_ROUTES.has(route)) return;
  const info = request.proxycast;
  const credential = info.credential ?? 'none';
  const status = String(info.streamFailed ? 502 : reply.raw.statusCode);
  const metrics = runtime.metrics;
  const finished = performance.now();
  metrics.requests.inc({ credential, model: info.upstreamModel ?? info.model ?? 'unknown', route, status });
  metrics.duration.observe({ route, credential, status }, (finished - startedAt) / 1000);
  if (info.firstByteAt !== undefined) metrics.firstByte.observe({ route, credential }, (info.firstByteAt - startedAt) / 1000);
  if (info.tokens && info.credential) metrics.addTokens(info.credential, info.tokens);
  if (!info.credential) return;
  const found = runtime.pool.get(info.credential);
  const ok = !info.streamFailed && reply.raw.statusCode < 400 && reply.raw.writableFinished;
  runtime.usage.record(info.credential, runtime.deps.clock.now(), {
    ok,
    failureKind: ok ? undefined : (info.errorCode ?? (reply.raw.writableFinished ? `http_${reply.raw.statusCode}` : 'client_closed')),
    error: ok ? undefined : info.errorMessage,
    tokens: info.tokens,
    quota: found?.quota,
  });
}
