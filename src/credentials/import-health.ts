import type { Runtime } from '../runtime.js';
import { credentialBaseUrl } from '../proxy/upstream-url.js';
import { checkCredentialHealth } from './health-check.js';

/** One cheap authenticated call per imported credential, after start; logged and kept for status. Never drops one. */
export async function checkImportedCredentials(runtime: Runtime): Promise<void> {
  const config = runtime.config();
  const imported = runtime.pool.list().filter((credential) => credential.source === 'codex-cli' && credential.secret && !credential.disabled);
  await Promise.all(
    imported.map(async (credential) => {
      const secret = credential.kind === 'oauth' ? await runtime.oauthSecret(credential).catch(() => credential.secret) : credential.secret;
      if (!secret) return;
      const result = await checkCredentialHealth(
        { secret, baseUrl: credentialBaseUrl(credential, config), extraHeaders: credential.extraHeaders, queryParams: credential.queryParams },
        { dispatcher: runtime.dispatcherFor(credential), clientVersion: config.codex.client_version },
      );
      credential.health = { ok: result.ok, status: result.status, message: result.message, checkedAt: runtime.deps.clock.now() };
      const log = { credential: credential.id, ok: result.ok, status: result.status, latencyMs: Math.round(result.latencyMs), message: result.message };
      if (result.ok) runtime.deps.logger.info(log, 'imported credential health check passed');
      else runtime.deps.logger.warn(log, 'imported credential health check failed; the credential stays in the pool');
    }),
  );
}
