/**
 * A second proxycast process for tests: loads one credential from TOKEN_FILE, prints "ready", waits for a line on
 * stdin, then asks its own TokenManager for an access token and prints one JSON line: the token's fingerprint (never
 * the token), the credential's state, or the error code.
 */
import crypto from 'node:crypto';
import readline from 'node:readline';
import { Agent } from 'undici';
import { TokenManager } from '../../../src/credentials/token-manager.js';
import { configFor, credentialFromFile, testLogger } from '../token-lifecycle-fixtures.js';

const tokenFile = process.env.TOKEN_FILE ?? '';
const nowMs = Number(process.env.NOW_MS);
const config = configFor(process.env.ISSUER ?? '');

const credential = await credentialFromFile(tokenFile, 'codex-child');
const dispatcher = new Agent();
const manager = new TokenManager({ clock: { now: () => nowMs }, logger: testLogger(), getConfig: () => config, dispatcherFor: () => dispatcher });

const lines = readline.createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
try {
  const secret = await manager.getAccessToken(credential);
  const fingerprint = crypto.createHash('sha256').update(secret.accessToken).digest('hex');
  process.stdout.write(`${JSON.stringify({ ok: true, fingerprint, state: credential.state })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: (error as { code?: string }).code, message: (error as Error).message })}\n`);
}
await dispatcher.close();
