import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { checkAdmin } from './admin-guard.js';
import { credentialView } from './credential-view.js';
import { usageView } from './usage-view.js';
import { refreshCredentialNow, removeCredential, setCredentialDisabled } from './credential-actions.js';
import { registerLoginRoutes } from './login-routes.js';
import type { Credential } from '../credentials/credential.js';

/** The admin JSON API under /api/admin/ (loopback or admin_key only). */
export function registerAdminRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request) => checkAdmin(request, runtime.config().server.admin_key));
      admin.get('/credentials', async () => {
        const now = runtime.deps.clock.now();
        const sticky = runtime.pool.stickyCounts(now);
        return runtime.pool.list().map((credential) => credentialView(credential, now, sticky[credential.id] ?? 0, runtime.usage.of(credential.id)));
      });
      admin.get('/usage', async () => usageView(runtime));
      const view = (credential: Credential) =>
        credentialView(credential, runtime.deps.clock.now(), runtime.pool.stickyCounts(runtime.deps.clock.now())[credential.id] ?? 0, runtime.usage.of(credential.id));
      admin.post<{ Params: { id: string } }>('/credentials/:id/disable', async (request) => view(await setCredentialDisabled(runtime, request.params.id, true)));
      admin.post<{ Params: { id: string } }>('/credentials/:id/enable', async (request) => view(await setCredentialDisabled(runtime, request.params.id, false)));
      admin.delete<{ Params: { id: string } }>('/credentials/:id', async (request) => removeCredential(runtime, request.params.id));
      admin.post<{ Params: { id: string } }>('/credentials/:id/refresh', async (request) => view(await refreshCredentialNow(runtime, request.params.id)));
      registerLoginRoutes(admin, runtime);
    },
    { prefix: '/api/admin' },
  );
}
