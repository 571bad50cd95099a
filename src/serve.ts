import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig } from './config/load.js';
import { isLoopbackName } from './http/client-auth.js';
import type { Deps } from './deps.js';
import { createRuntime, type Runtime } from './runtime.js';
import { packageVersion } from './version.js';
import { checkImportedCredentials } from './credentials/import-health.js';
import { startWatchers } from './watchers.js';
import { quotaProberFor } from './credentials/quota-probe.js';

export interface Daemon {
  app: FastifyInstance;
  runtime: Runtime;
  /** The address it listens on, e.g. http://127.0.0.1:8999. */
  url: string;
  stop(): Promise<void>;
}

/** A non-loopback bind with no client keys would open the user's account to the network: refuse, saying why. */
export function assertSafeBind(host: string, apiKeys: readonly string[]): void {
  if (apiKeys.length === 0 && !isLoopbackName(host.toLowerCase())) {
    throw new Error(
      `server.host is "${host}", which is reachable from other machines, but server.api_keys is empty: anyone on the network could use your Codex account. Set server.api_keys (clients then send "Authorization: Bearer <key>"), or bind 127.0.0.1.`,
    );
  }
}

/** Loads the config, builds the runtime and app, and listens. Used by `proxycast serve` and by end-to-end tests. */
export async function startDaemon(deps: Deps, options: { configFlag?: string | undefined; cwd: string; port?: number }): Promise<Daemon> {
  const loaded = loadConfig({ flag: options.configFlag, env: deps.env, homeDir: deps.homeDir, cwd: options.cwd });
  const config = loaded.config;
  assertSafeBind(config.server.host, config.server.api_keys);
  const runtime = await createRuntime(deps, loaded, packageVersion());
  const app = await buildApp(runtime);
  const address = await app.listen({ host: config.server.host, port: options.port ?? config.server.port });
  const url = address;
  const counts = runtime.pool.countByState(deps.clock.now());
  deps.logger.info({ url, config: loaded.file ?? '(embedded defaults)', credentials: counts }, 'proxycast listening');
  for (const credential of runtime.pool.list()) {
    if (credential.state === 'invalid') deps.logger.warn({ credential: credential.id, reason: credential.reason }, 'credential is invalid');
  }
  const stopWatchers = startWatchers(runtime);
  runtime.tokens.start({ credentials: () => runtime.pool.list() });
  // Requests kick quota probes too; this keeps an idle pool's limits (and the admin page) current.
  const probeTimer = setInterval(() => void Promise.allSettled(quotaProberFor(runtime).kick(deps.clock.now())), 30_000);
  probeTimer.unref();
  void checkImportedCredentials(runtime).catch((error: unknown) => deps.logger.warn({ err: error }, 'import health check failed'));
  const stop = async () => {
    clearInterval(probeTimer);
    stopWatchers();
    const grace = setTimeout(() => app.server.closeAllConnections(), config.server.shutdown_grace_ms);
    grace.unref();
    await app.close();
    clearTimeout(grace);
    await runtime.close();
  };
  return { app, runtime, url, stop };
}
