import type { Deps } from './deps.js';
import type { Config } from './config/schema.js';
import { resolveAuthDir, type LoadedConfig } from './config/load.js';
import { CredentialPool } from './credentials/pool.js';
import { buildPoolCredentials } from './credentials/build-pool.js';
import { loadTokenFileInto } from './credentials/load-pool.js';
import { createDirectAgent, DispatcherRegistry } from './upstream/dispatchers.js';
import type { Credential } from './credentials/credential.js';
import type { Dispatcher } from 'undici';
import { ModelCatalog } from './proxy/model-catalog.js';
import type { OAuthSecret } from './credentials/types.js';
import { TokenManager } from './credentials/token-manager.js';
import path from 'node:path';
import { proxycastHome } from './config/paths.js';
import { Metrics } from './metrics/metrics.js';
import { UsageStore } from './metrics/usage-store.js';
import { AdminStateStore } from './admin/admin-state.js';

/** The daemon's state while it runs: the config in force, the pool, and the handed-in side effects. */
export interface Runtime {
  deps: Deps;
  loaded: LoadedConfig;
  config(): Config;
  authDir: string;
  pool: CredentialPool;
  dispatchers: DispatcherRegistry;
  dispatcherFor(credential: Credential): Dispatcher;
  catalog: ModelCatalog;
  tokens: TokenManager;
  /** A usable OAuth secret for the credential (refreshed by the token manager when due). */
  oauthSecret(credential: Credential, options?: { rejectedAccessToken?: string }): Promise<OAuthSecret>;
  /** Re-reads a credential's token file after it changed on disk (adopting new tokens, clearing needs_login/invalid). */
  reloadTokenFile(credential: Credential): Promise<void>;
  /** The same, by id (a re-login rewrote the file of a credential already in the pool). */
  reloadTokenFileById(id: string): Promise<void>;
  metrics: Metrics;
  usage: UsageStore;
  adminState: AdminStateStore;
  version: string;
  close(): Promise<void>;
}

/** Builds the runtime: reads every token file once; nothing here listens or starts timers. */
export async function createRuntime(deps: Deps, loaded: LoadedConfig, version: string): Promise<Runtime> {
  const config = loaded.config;
  const authDir = resolveAuthDir(config, deps.homeDir, loaded.file);
  const adminState = new AdminStateStore(AdminStateStore.fileIn(proxycastHome(deps.homeDir)));
  await adminState.load();
  const credentials = adminState.apply(await buildPoolCredentials(deps, config, authDir));
  const pool = new CredentialPool(credentials, config.routing.strategy);
  const dispatchers = new DispatcherRegistry(deps.dispatcher, { connectTimeoutMs: config.upstream.connect_timeout_ms });
  const metrics = new Metrics(() => runtime.pool, deps.clock);
  const usage = new UsageStore(path.join(proxycastHome(deps.homeDir), 'usage.json'), deps.logger, () => metrics.counterSnapshot());
  metrics.restoreCounters(await usage.load());
  for (const credential of credentials) credential.quota ??= usage.of(credential.id).quota;
  const tokens = new TokenManager({
    clock: deps.clock,
    logger: deps.logger,
    getConfig: () => runtime.config(),
    dispatcherFor: (credential) => dispatchers.forProxy(credential.proxyUrl),
    onRefresh: (credential, outcome) => metrics.refreshes.inc({ credential: credential.id, outcome }),
  });
  const runtime: Runtime = {
    deps,
    loaded,
    config: () => runtime.loaded.config,
    authDir,
    pool,
    dispatchers,
    dispatcherFor: (credential) => dispatchers.forProxy(credential.proxyUrl),
    catalog: new ModelCatalog(),
    tokens,
    oauthSecret: (credential, options) => tokens.getAccessToken(credential, options ?? {}),
    reloadTokenFile: async (credential) => {
      if (credential.kind === 'oauth' || credential.state === 'needs_login') await tokens.reloadIfChanged(credential);
      else await loadTokenFileInto(credential);
    },
    reloadTokenFileById: async (id) => {
      const credential = runtime.pool.get(id);
      if (credential) await runtime.reloadTokenFile(credential);
    },
    metrics,
    usage,
    adminState,
    version,
    close: async () => {
      tokens.stop();
      await usage.flush();
      await dispatchers.close();
    },
  };
  return runtime;
}

export { createDirectAgent };
