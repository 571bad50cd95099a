import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialFromFile, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

describe('a lock left by a process that died', () => {
  it('a <file>.lock directory with an old mtime is taken over and the refresh goes ahead', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    await writeCodexAuthJson(file, login);
    await fs.mkdir(`${file}.lock`);
    const old = new Date(Date.now() - 5 * 60_000);
    await fs.utimes(`${file}.lock`, old, old);
    const credential = await credentialFromFile(file);

    const secret = await rig.manager().getAccessToken(credential, { forceRefresh: true });

    expect(rig.mock.refreshCalls).toBe(1);
    expect(secret.accessToken).not.toBe(login.access_token);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as { tokens: { access_token: string } };
    expect(onDisk.tokens.access_token).toBe(secret.accessToken);
    await expect(fs.stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
