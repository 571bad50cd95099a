import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { checkAdmin } from './admin-guard.js';
import { credentialView } from './credential-view.js';
import { usageView } from './usage-view.js';

/** The admin JSON API under /api/admin/ (loopback or admin_key only). */
export function registerAdminRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request) => checkAdmin(request, runtime.config().server.admin_key));
      admin.get('/credentials', async () => {
        const now = runtime.deps.clock.now();
        const sticky = runtime.pool.stickyCounts(now);
        return runtime.pool.list().map((credential) => credentialView(credential, now, sticky[credential.id] ?? 0));
      });
      admin.get('/usage', async () => usageView(runtime));
    },
    { prefix: '/api/admin' },
  );
}
