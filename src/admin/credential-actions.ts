import fs from 'node:fs/promises';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Credential } from '../credentials/credential.js';

function find(runtime: Runtime, id: string): Credential {
  const credential = runtime.pool.get(id);
  if (!credential) {
    throw new ProxyError({ status: 404, type: 'not_found_error', code: 'not_found', message: `No credential '${id}' in the pool.`, param: 'id' });
  }
  return credential;
}

/** Enables or disables a credential now and across restarts. */
export async function setCredentialDisabled(runtime: Runtime, id: string, disabled: boolean): Promise<Credential> {
  const credential = find(runtime, id);
  credential.disabled = disabled;
  await runtime.adminState.setDisabled(id, disabled);
  runtime.deps.logger.info({ credential: id, disabled }, disabled ? 'credential disabled' : 'credential enabled');
  return credential;
}

/**
 * Removes a credential from the pool. A login file of ours is deleted; a config entry or the Codex CLI import is
 * remembered as removed (the Codex CLI's auth.json is never deleted or changed).
 */
export async function removeCredential(runtime: Runtime, id: string): Promise<{ removed: string; deletedFile: string | null }> {
  const credential = find(runtime, id);
  runtime.pool.remove(id);
  let deletedFile: string | null = null;
  if (credential.source === 'login') {
    await fs.rm(credential.tokenFile, { force: true });
    deletedFile = credential.tokenFile;
  } else {
    await runtime.adminState.setRemoved(id);
  }
  runtime.deps.logger.info({ credential: id, source: credential.source, deletedFile }, 'credential removed');
  return { removed: id, deletedFile };
}

/** Refreshes an OAuth credential's access token now (the same guarded, single-flight refresh as on use). */
export async function refreshCredentialNow(runtime: Runtime, id: string): Promise<Credential> {
  const credential = find(runtime, id);
  if (credential.kind === 'api_key') throw ProxyError.invalidRequest(`Credential '${id}' is an API key; API keys are never refreshed.`, 'id');
  // A credential whose file never parsed has no kind yet: getSecret re-reads the file and says why it cannot refresh.
  await runtime.tokens.getSecret(credential, { forceRefresh: true });
  return credential;
}
