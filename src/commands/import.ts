import { loadConfig, resolveAuthDir } from '../config/load.js';
import { resolveCodexHome } from '../config/paths.js';
import { collectCredentialSpecs } from '../credentials/build-pool.js';
import { importCodexCli } from '../credentials/codex-cli-import.js';
import { checkCredentialHealth, type HealthCheckResult } from '../credentials/health-check.js';
import { buildCredential } from '../credentials/load-pool.js';
import { specFromImport } from '../credentials/cli-import-specs.js';
import type { Deps } from '../deps.js';
import { credentialBaseUrl } from '../proxy/upstream-url.js';
import { formatImportReport, importReportJson } from './import-report.js';

export interface ImportOptions {
  configFlag?: string | undefined;
  json: boolean;
  cwd: string;
  stdout: NodeJS.WritableStream;
}

/** `proxycast import`: the same Codex CLI import the daemon runs at start, against the same files, printed. */
export async function runImportCommand(deps: Deps, options: ImportOptions): Promise<number> {
  const loaded = loadConfig({ flag: options.configFlag, env: deps.env, homeDir: deps.homeDir, cwd: options.cwd });
  const config = loaded.config;
  const specs = await collectCredentialSpecs(config, resolveAuthDir(config, deps.homeDir, loaded.file));
  const existing = await Promise.all(specs.map((spec) => buildCredential(spec)));
  const result = await importCodexCli({
    codexHome: resolveCodexHome(config.codex.codex_home, deps.env, deps.homeDir),
    env: deps.env,
    config: config.codex,
    existing: existing.map((credential) => ({ tokenFile: credential.tokenFile, baseUrl: credentialBaseUrl(credential, config), id: credential.id })),
  });
  const health: Record<string, HealthCheckResult> = {};
  for (const spec of result.credentials) {
    const credential = await buildCredential(specFromImport(spec, deps.env));
    if (!credential.secret) continue;
    health[spec.id] = await checkCredentialHealth(
      { secret: credential.secret, baseUrl: spec.baseUrl, extraHeaders: spec.extraHeaders, queryParams: spec.queryParams },
      { dispatcher: deps.dispatcher, clientVersion: config.codex.client_version },
    );
  }
  options.stdout.write(options.json ? `${JSON.stringify(importReportJson(result, health), null, 2)}\n` : formatImportReport(result, health));
  return 0;
}
