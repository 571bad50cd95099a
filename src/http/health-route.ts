import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { effectiveState } from '../credentials/selection.js';
import { scrubSecrets } from '../redact.js';

/** GET /health and GET /metrics (Prometheus text).
 * GET /health: 200 while the process serves, with credential counts by state; `degraded` when none is usable. */
export function registerHealthRoute(app: FastifyInstance, runtime: Runtime): void {
  app.get('/health', async () => {
    const now = runtime.deps.clock.now();
    const counts = runtime.pool.countByState(now);
    const present = Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0));
    const usable = counts.active + counts.refreshing;
    return {
      status: usable > 0 ? 'ok' : 'degraded',
      version: runtime.version,
      credentials: present,
      total: runtime.pool.list().length,
      // Per credential: enough to see what is wrong (state, expiry, last refresh and error); never a secret or an email.
      by_credential: runtime.pool.list().map((credential) => ({
        id: credential.id,
        source: credential.source,
        kind: credential.kind ?? null,
        state: effectiveState(credential, now),
        expires_at: credential.secret?.kind === 'oauth' && credential.secret.expiresAt ? new Date(credential.secret.expiresAt).toISOString() : null,
        last_refresh: credential.secret?.kind === 'oauth' && credential.secret.lastRefresh ? new Date(credential.secret.lastRefresh).toISOString() : null,
        last_error: credential.stats.lastRefreshError ?? credential.stats.lastError ? scrubSecrets(credential.stats.lastRefreshError ?? credential.stats.lastError ?? '') : null,
      })),
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', runtime.metrics.registry.contentType);
    return runtime.metrics.registry.metrics();
  });
}
