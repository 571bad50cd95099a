import fs from 'node:fs/promises';
import { ConfigError, parseConfigText, resolveAuthDir } from './load.js';
import type { Runtime } from '../runtime.js';
import { configCredentialSpecs, buildCredential, type CredentialSpec } from '../credentials/load-pool.js';
import type { Credential } from '../credentials/credential.js';

function sameSpec(credential: Credential, spec: CredentialSpec): boolean {
  return credential.tokenFile === spec.tokenFile && credential.proxyUrl === spec.proxyUrl && credential.source === 'config';
}

/**
 * Re-reads the config file and swaps it in: unchanged text is skipped, an invalid edit is logged and the running
 * config stays, and credentials whose entry did not change keep their run-time state (tokens, cooldowns, counts).
 * Returns what happened, for the log and for tests.
 */
export async function reloadConfig(runtime: Runtime): Promise<'unchanged' | 'applied' | 'rejected' | 'no-file'> {
  const file = runtime.loaded.file;
  if (!file) return 'no-file';
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    runtime.deps.logger.warn({ file, code: (error as NodeJS.ErrnoException).code }, 'config file cannot be read; keeping the running config');
    return 'rejected';
  }
  if (text === runtime.loaded.text) return 'unchanged';
  let config;
  try {
    config = parseConfigText(text, file);
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : String(error);
    runtime.deps.logger.error({ file, problem: message }, 'config edit is invalid; keeping the running config');
    return 'rejected';
  }
  const authDir = resolveAuthDir(config, runtime.deps.homeDir, file);
  const specs = configCredentialSpecs(config, authDir);
  const wanted = new Set(specs.map((spec) => spec.id));
  for (const credential of runtime.pool.list()) {
    if (credential.source === 'config' && !wanted.has(credential.id)) runtime.pool.remove(credential.id);
  }
  for (const spec of specs) {
    const current = runtime.pool.get(spec.id);
    if (runtime.adminState.isRemoved(spec.id)) continue;
    if (current && sameSpec(current, spec)) {
      current.disabled = spec.disabled ?? false;
      runtime.adminState.apply([current]);
      continue;
    }
    const [credential] = runtime.adminState.apply([await buildCredential(spec)]);
    if (credential) runtime.pool.upsert(credential);
  }
  runtime.pool.setStrategy(config.routing.strategy);
  runtime.loaded = { config, file, text };
  runtime.deps.logger.info({ file, credentials: runtime.pool.list().length }, 'config reloaded');
  return 'applied';
}
