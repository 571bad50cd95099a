import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

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
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', runtime.metrics.registry.contentType);
    return runtime.metrics.registry.metrics();
  });
}
