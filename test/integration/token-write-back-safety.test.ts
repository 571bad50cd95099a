import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialFromFile, rewriteInPlace, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const ELEVEN_DAYS_MS = 11 * 24 * 3600 * 1000;
let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

type AuthJson = Record<string, unknown> & { tokens: Record<string, unknown> };

async function readJson(file: string): Promise<AuthJson> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as AuthJson;
}

describe('writing back never clobbers another program’s change', () => {
  it('an edit to other keys made during our refresh is kept, with our new tokens merged in', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    rig.clock.advance(ELEVEN_DAYS_MS);
    rig.mock.beforeNextAnswer(async () => {
      await rewriteInPlace(file, JSON.stringify({ ...(await readJson(file)), added_while_refreshing: 42 }, null, 2));
    });

    const secret = await rig.manager().getAccessToken(credential);

    const onDisk = await readJson(file);
    expect(onDisk.added_while_refreshing).toBe(42);
    expect(onDisk.tokens.access_token).toBe(secret.accessToken);
    expect(onDisk.tokens.refresh_token).toBe(secret.refreshToken);
  });

  it('a new login written during our refresh wins: the file keeps it and we take it', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    rig.clock.advance(ELEVEN_DAYS_MS);
    const relogin = rig.mock.issueTokens();
    let theirs = '';
    rig.mock.beforeNextAnswer(async () => {
      const current = await readJson(file);
      theirs = JSON.stringify({ ...current, tokens: { ...current.tokens, access_token: relogin.access_token, refresh_token: relogin.refresh_token } }, null, 2);
      await rewriteInPlace(file, theirs);
    });

    const secret = await rig.manager().getAccessToken(credential);

    expect(rig.mock.calls.map((call) => call.outcome)).toEqual(['issued']);
    expect(await fs.readFile(file, 'utf8')).toBe(theirs);
    expect(secret.accessToken).toBe(relogin.access_token);
  });

  it('a file that does not parse is never overwritten, and no refresh token is spent on it', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    await rewriteInPlace(file, '{"tokens": {"access_token": "half a fi');

    await expect(rig.manager().getAccessToken(credential, { forceRefresh: true })).rejects.toMatchObject({ code: 'credential_needs_login' });

    expect(credential.state).toBe('invalid');
    expect(credential.reason).toMatch(/not valid JSON.*never overwritten/);
    expect(await fs.readFile(file, 'utf8')).toBe('{"tokens": {"access_token": "half a fi');
    expect(rig.mock.refreshCalls).toBe(0);
  });
});
