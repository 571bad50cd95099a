import type { Config } from '../config/schema.js';
import { resolveCodexHome } from '../config/paths.js';
import type { Logger } from '../logger.js';
import type { Credential } from './credential.js';
import { envKeySecret, importCodexCli, type CodexCliImportResult, type ImportedCredentialSpec } from './codex-cli-import.js';
import type { CredentialSpec } from './load-pool.js';
import { credentialBaseUrl } from '../proxy/upstream-url.js';

/** The pool spec of an imported credential; an env_key API key carries its secret inline (tokenFile `env:<VAR>`). */
export function specFromImport(spec: ImportedCredentialSpec, env: NodeJS.ProcessEnv): CredentialSpec {
  const common = {
    id: spec.id,
    source: 'codex-cli' as const,
    baseUrlOverride: spec.baseUrlOverride,
    extraHeaders: spec.extraHeaders,
    queryParams: spec.queryParams,
  };
  if (spec.origin === 'env') return { ...common, tokenFile: `env:${spec.envVar}`, inlineSecret: envKeySecret(spec, env), baseUrlOverride: spec.baseUrl };
  return { ...common, tokenFile: spec.tokenFile };
}

/** Runs the Codex CLI import against the credentials already built, logging what it found, skipped and warned. */
export async function importCliCredentialSpecs(
  config: Config,
  env: NodeJS.ProcessEnv,
  homeDir: string,
  existing: readonly Credential[],
  logger: Logger,
): Promise<{ specs: CredentialSpec[]; result: CodexCliImportResult | undefined }> {
  if (!config.codex.import_cli) return { specs: [], result: undefined };
  const result = await importCodexCli({
    codexHome: resolveCodexHome(config.codex.codex_home, env, homeDir),
    env,
    config: config.codex,
    existing: existing.map((credential) => ({ tokenFile: credential.tokenFile, baseUrl: credentialBaseUrl(credential, config), id: credential.id })),
  });
  for (const warning of result.warnings) logger.warn({ codexHome: result.codexHome }, `Codex CLI import: ${warning}`);
  for (const skipped of result.skipped) logger.info({ what: skipped.what }, `Codex CLI import skipped: ${skipped.why}`);
  for (const spec of result.credentials) {
    logger.info(
      { credential: spec.id, kind: spec.kind, baseUrl: spec.baseUrl, file: spec.origin === 'auth.json' ? spec.tokenFile : `env:${spec.envVar}`, key: spec.maskedKey, notes: spec.notes },
      'imported the Codex CLI login',
    );
  }
  return { specs: result.credentials.map((spec) => specFromImport(spec, env)), result };
}
