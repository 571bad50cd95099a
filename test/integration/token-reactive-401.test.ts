import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialFromFile, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

describe('after the upstream answered 401 to a token', () => {
  it('refreshes once for many rejected requests; a late rejection of the old token costs no call', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    await writeCodexAuthJson(file, login);
    const credential = await credentialFromFile(file);
    const manager = rig.manager();

    const results = await Promise.all(Array.from({ length: 10 }, () => manager.getAccessToken(credential, { rejectedAccessToken: login.access_token })));
    expect(rig.mock.refreshCalls).toBe(1);
    expect(new Set(results.map((secret) => secret.accessToken)).size).toBe(1);
    expect(results[0]?.accessToken).not.toBe(login.access_token);

    const late = await manager.getAccessToken(credential, { rejectedAccessToken: login.access_token });
    expect(late.accessToken).toBe(results[0]?.accessToken);
    expect(rig.mock.refreshCalls).toBe(1);
  });

  it('a 401 to the new token too refreshes again (the token endpoint decides if the login still holds)', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    const manager = rig.manager();
    const first = await manager.getAccessToken(credential, { forceRefresh: true });
    rig.mock.failPermanently('refresh_token_invalidated');
    await expect(manager.getAccessToken(credential, { rejectedAccessToken: first.accessToken })).rejects.toMatchObject({ code: 'credential_needs_login', status: 401 });
    expect(credential.reason).toMatch(/revoked/);
    expect(rig.mock.refreshCalls).toBe(2);
  });
});
