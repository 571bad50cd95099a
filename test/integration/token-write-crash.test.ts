import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/credentials/token-file.js';
import { buildForChildProcess, builtPath } from '../helpers/child-build.js';
import { credentialFromFile, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const CHILD = 'test/helpers/children/crash-during-write-child.ts';
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

function runToCrash(file: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, [builtPath(buildDir, CHILD)], {
    env: { ...process.env, TOKEN_FILE: file, ISSUER: rig.mock.issuer, NOW_MS: String(rig.clock.now()) },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve({ signal, stdout })));
}

describe('a crash in the middle of writing the token file', () => {
  it('killed between the temp write and the rename: the old file is whole and byte-identical', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens(), { extra: { extra_key: 'x' } });
    const before = await fs.readFile(file);

    const result = await runToCrash(file);

    expect(result.stdout).toContain('temp written; dying before rename');
    expect(result.signal).toBe('SIGKILL');
    expect(rig.mock.refreshCalls).toBe(1);
    const after = await fs.readFile(file);
    expect(after.equals(before)).toBe(true);
    expect(() => parseTokenFile(after.toString('utf8'))).not.toThrow();
    // The temp file the dead process left holds the complete new file, next to (never instead of) the old one.
    const leftovers = (await fs.readdir(rig.dir)).filter((name) => name.endsWith('.tmp'));
    expect(leftovers).toHaveLength(1);
    const temp = await fs.readFile(path.join(rig.dir, leftovers[0] as string), 'utf8');
    expect(() => parseTokenFile(temp)).not.toThrow();
    expect((await fs.stat(path.join(rig.dir, leftovers[0] as string))).mode & 0o777).toBe(0o600);
  });

  it('the next process gets past the dead one’s lock, and says the login is gone (the rotation died with it)', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    await runToCrash(file);
    expect((await fs.stat(`${file}.lock`)).isDirectory()).toBe(true);
    // proper-lockfile takes over a lock whose mtime is older than its stale limit (10 s); age it instead of waiting.
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(`${file}.lock`, old, old);

    const credential = await credentialFromFile(file);
    await expect(rig.manager().getAccessToken(credential, { forceRefresh: true })).rejects.toMatchObject({ code: 'credential_needs_login' });

    expect(rig.mock.calls.map((call) => call.outcome)).toEqual(['issued', 'reused']);
    expect(credential.reason).toMatch(/already used by another program/);
    await expect(fs.stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
