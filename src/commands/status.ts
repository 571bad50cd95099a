import { request } from 'undici';
import { credentialView, type CredentialView } from '../admin/credential-view.js';
import { loadConfig, resolveAuthDir } from '../config/load.js';
import { buildPoolCredentials } from '../credentials/build-pool.js';
import type { Deps } from '../deps.js';
import { formatStatusTable } from './status-table.js';
import path from 'node:path';
import { proxycastHome } from '../config/paths.js';
import { UsageStore } from '../metrics/usage-store.js';

export interface StatusOptions {
  configFlag?: string | undefined;
  url?: string | undefined;
  json: boolean;
  cwd: string;
  stdout: NodeJS.WritableStream;
}

async function fromDaemon(url: string, adminKey: string | undefined, deps: Deps): Promise<CredentialView[] | undefined> {
  try {
    const response = await request(`${url.replace(/\/+$/, '')}/api/admin/credentials`, {
      dispatcher: deps.dispatcher,
      headers: adminKey ? { authorization: `Bearer ${adminKey}` } : {},
      headersTimeout: 2_000,
      bodyTimeout: 2_000,
    });
    const text = await response.body.text();
    return response.statusCode === 200 ? (JSON.parse(text) as CredentialView[]) : undefined;
  } catch {
    return undefined;
  }
}

/** `proxycast status`: asks the running daemon, else reads the files on disk; prints a table or --json. */
export async function runStatusCommand(deps: Deps, options: StatusOptions): Promise<number> {
  const loaded = loadConfig({ flag: options.configFlag, env: deps.env, homeDir: deps.homeDir, cwd: options.cwd });
  const config = loaded.config;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = options.url ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${config.server.port}`;
  const now = deps.clock.now();
  let views = await fromDaemon(url, config.server.admin_key, deps);
  let origin = `from the daemon at ${url}`;
  if (!views) {
    const credentials = await buildPoolCredentials(deps, config, resolveAuthDir(config, deps.homeDir, loaded.file));
    const usage = new UsageStore(path.join(proxycastHome(deps.homeDir), 'usage.json'), deps.logger, async () => ({}));
    await usage.load({ readOnly: true });
    views = credentials.map((credential) => {
      credential.quota ??= usage.of(credential.id).quota;
      return credentialView(credential, now, 0, usage.of(credential.id));
    });
    origin = `from disk; no daemon answered at ${url}`;
  }
  options.stdout.write(options.json ? `${JSON.stringify(views, null, 2)}\n` : formatStatusTable(views, now, origin));
  return 0;
}
