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

async function deadCredential(): Promise<{ file: string; credential: Awaited<ReturnType<typeof credentialFromFile>> }> {
  const file = path.join(rig.dir, 'auth.json');
  await writeCodexAuthJson(file, rig.mock.issueTokens());
  const credential = await credentialFromFile(file);
  rig.clock.advance(ELEVEN_DAYS_MS);
  rig.mock.failPermanently('refresh_token_expired');
  return { file, credential };
}

describe('needs_login clears by itself', () => {
  it('when a valid new login appears in the file, on the next use', async () => {
    const { file, credential } = await deadCredential();
    const manager = rig.manager();
    await expect(manager.getAccessToken(credential)).rejects.toMatchObject({ code: 'credential_needs_login' });
    expect(credential.state).toBe('needs_login');

    const relogin = rig.mock.issueTokens();
    await writeCodexAuthJson(file, relogin);
    const secret = await manager.getAccessToken(credential);

    expect(secret.accessToken).toBe(relogin.access_token);
    expect(credential.state).toBe('active');
    expect(credential.reason).toBeUndefined();
    expect(rig.mock.refreshCalls).toBe(1);
  });

  it('on a background pass, without any request', async () => {
    const { file, credential } = await deadCredential();
    const manager = rig.manager();
    await expect(manager.getAccessToken(credential)).rejects.toThrow();
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    await manager.runBackgroundPass([credential]);
    expect(credential.state).toBe('active');
  });

  it('not when the file changes but still holds the dead refresh token', async () => {
    const { file, credential } = await deadCredential();
    const manager = rig.manager();
    await expect(manager.getAccessToken(credential)).rejects.toThrow();
    const edited = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    await rewriteInPlace(file, JSON.stringify({ ...edited, note: 'edited by hand' }, null, 2));

    expect(await manager.reloadIfChanged(credential)).toBe(false);
    expect(credential.state).toBe('needs_login');
    await expect(manager.getAccessToken(credential)).rejects.toMatchObject({ code: 'credential_needs_login' });
    expect(rig.mock.refreshCalls).toBe(1);
  });

  it('when a deleted token file comes back', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const text = await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    const manager = rig.manager();
    await fs.rm(file);
    await expect(manager.getAccessToken(credential, { forceRefresh: true })).rejects.toMatchObject({ code: 'credential_needs_login' });
    expect(credential.state).toBe('needs_login');
    expect(credential.reason).toMatch(/does not exist.*keyring/);
    expect(rig.mock.refreshCalls).toBe(0);

    await fs.writeFile(file, text, { mode: 0o600 });
    await expect(manager.getAccessToken(credential)).resolves.toMatchObject({ kind: 'oauth' });
    expect(credential.state).toBe('active');
  });
});

describe('invalid credentials', () => {
  it('one invalid because of its file content recovers when the file is fixed; one invalid by config does not', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    await writeCodexAuthJson(file, login);
    const manager = rig.manager();
    const badFile = await credentialFromFile(file, 'bad-file');
    badFile.state = 'invalid';
    badFile.reason = `token file ${file}: not valid JSON`;
    const badConfig = await credentialFromFile(file, 'bad-config');
    badConfig.state = 'invalid';
    badConfig.reason = 'token_file "../x.json" points outside auth_dir';

    await expect(manager.getAccessToken(badFile)).resolves.toMatchObject({ accessToken: login.access_token });
    expect(badFile.state).toBe('active');
    await expect(manager.getAccessToken(badConfig)).rejects.toMatchObject({ code: 'credential_needs_login' });
    expect(badConfig.state).toBe('invalid');
  });
});
