import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildForChildProcess, builtPath } from '../helpers/child-build.js';
import { credentialFromFile, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const CHILD = 'test/helpers/children/token-manager-child.ts';
const ELEVEN_DAYS_MS = 11 * 24 * 3600 * 1000;
let buildDir: string;
let rig: LifecycleRig;

beforeAll(async () => {
  buildDir = await buildForChildProcess([CHILD]);
});
afterAll(async () => fs.rm(buildDir, { recursive: true, force: true }));
beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

interface ChildAnswer {
  ok: boolean;
  fingerprint?: string;
  state?: string;
  code?: string;
}

/** A real second proxycast process (its own TokenManager) on the same token file. */
function startChild(file: string): { child: ChildProcessWithoutNullStreams; ready: Promise<void>; answer: Promise<ChildAnswer> } {
  const child = spawn(process.execPath, [builtPath(buildDir, CHILD)], {
    env: { ...process.env, TOKEN_FILE: file, ISSUER: rig.mock.issuer, NOW_MS: String(rig.clock.now()) },
  });
  const lines = readline.createInterface({ input: child.stdout });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const received: string[] = [];
  const waiters: Array<() => void> = [];
  lines.on('line', (line) => {
    received.push(line);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const nth = (n: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (received.length > n) resolve(received[n] as string);
        else waiters.push(check);
      };
      child.once('exit', (code) => {
        if (received.length <= n) reject(new Error(`child exited ${code}: ${stderr}`));
      });
      check();
    });
  const answer = nth(1).then((line) => JSON.parse(line) as ChildAnswer);
  answer.catch(() => undefined); // reported through `ready` when the child dies early
  return { child, ready: nth(0).then(() => undefined), answer };
}

function fingerprint(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

describe('two proxycast processes on one token file', () => {
  it('two real Node processes refresh an expired token once between them and end up with the same token', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    rig.clock.advance(ELEVEN_DAYS_MS);
    const first = startChild(file);
    const second = startChild(file);
    await Promise.all([first.ready, second.ready]);
    first.child.stdin.write('go\n');
    second.child.stdin.write('go\n');
    const answers = await Promise.all([first.answer, second.answer]);

    expect(rig.mock.refreshCalls).toBe(1);
    expect(rig.mock.calls.map((call) => call.outcome)).toEqual(['issued']);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as { tokens: { access_token: string } };
    expect(answers).toEqual([
      { ok: true, fingerprint: fingerprint(onDisk.tokens.access_token), state: 'active' },
      { ok: true, fingerprint: fingerprint(onDisk.tokens.access_token), state: 'active' },
    ]);
  });

  it('two TokenManager instances in one process (their own credential objects) refresh once between them', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const a = await credentialFromFile(file, 'a');
    const b = await credentialFromFile(file, 'b');
    rig.clock.advance(ELEVEN_DAYS_MS);
    rig.mock.setResponseDelay(50);
    const [fromA, fromB] = await Promise.all([rig.manager().getAccessToken(a), rig.manager().getAccessToken(b)]);
    expect(rig.mock.refreshCalls).toBe(1);
    expect(fromA.accessToken).toBe(fromB.accessToken);
    expect(fromA.refreshToken).toBe(fromB.refreshToken);
  });
});
