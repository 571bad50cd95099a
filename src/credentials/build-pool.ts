import type { Config } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { importCliCredentialSpecs } from './cli-import-specs.js';
import type { Credential } from './credential.js';
import { buildCredential, configCredentialSpecs, loginCredentialSpecs, type CredentialSpec } from './load-pool.js';

/** Every file-based credential spec: config.yaml entries, then login files under auth_dir/codex not named there. */
export async function collectCredentialSpecs(config: Config, authDir: string): Promise<CredentialSpec[]> {
  const fromConfig = configCredentialSpecs(config, authDir);
  const fromLogin = await loginCredentialSpecs(authDir, {
    ids: new Set(fromConfig.map((spec) => spec.id)),
    files: new Set(fromConfig.map((spec) => spec.tokenFile)),
  });
  return [...fromConfig, ...fromLogin];
}

/** Reads every credential of the pool from disk (config, login files, the Codex CLI import). No network. */
export async function buildPoolCredentials(deps: Pick<Deps, 'env' | 'homeDir' | 'logger'>, config: Config, authDir: string): Promise<Credential[]> {
  const specs = await collectCredentialSpecs(config, authDir);
  const credentials = await Promise.all(specs.map((spec) => buildCredential(spec)));
  const imported = await importCliCredentialSpecs(config, deps.env, deps.homeDir, credentials, deps.logger);
  credentials.push(...(await Promise.all(imported.specs.map((spec) => buildCredential(spec)))));
  return credentials;
}
