/**
 * Refreshes TOKEN_FILE's credential and is killed (SIGKILL, no cleanup) at the moment the write-back would rename
 * its temp file over the token file: the crash between "temp written" and "renamed".
 */
import fsp from 'node:fs/promises';
import { Agent } from 'undici';
import { TokenManager } from '../../../src/credentials/token-manager.js';
import { configFor, credentialFromFile, testLogger } from '../token-lifecycle-fixtures.js';

const tokenFile = process.env.TOKEN_FILE ?? '';
const credential = await credentialFromFile(tokenFile, 'codex-crash');
fsp.rename = async () => {
  process.stdout.write('temp written; dying before rename\n');
  process.kill(process.pid, 'SIGKILL');
  await new Promise(() => undefined);
};
const config = configFor(process.env.ISSUER ?? '');
const manager = new TokenManager({
  clock: { now: () => Number(process.env.NOW_MS) },
  logger: testLogger(),
  getConfig: () => config,
  dispatcherFor: () => new Agent(),
});
await manager.getAccessToken(credential, { forceRefresh: true });
process.stdout.write('survived (the test should not see this)\n');
