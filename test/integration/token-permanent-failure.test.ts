import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import { credentialFromFile, rewriteInPlace, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const ELEVEN_DAYS_MS = 11 * 24 * 3600 * 1000;
let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

async function expiredCredential(): Promise<{ file: string; before: Buffer; credential: Awaited<ReturnType<typeof credentialFromFile>> }> {
  const file = path.join(rig.dir, 'auth.json');
  await writeCodexAuthJson(file, rig.mock.issueTokens(), { extra: { extra_key: true } });
  const credential = await credentialFromFile(file, 'codex-main');
  rig.clock.advance(ELEVEN_DAYS_MS);
  return { file, before: await fs.readFile(file), credential };
}

describe('a refresh that fails for good', () => {
  it('leaves the file byte-identical, marks needs_login with the cause and the fix, and throws needsLogin', async () => {
    const { file, before, credential } = await expiredCredential();
    rig.mock.failPermanently('refresh_token_reused');

    const error = await rig.manager().getAccessToken(credential).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ status: 401, code: 'credential_needs_login' });
    expect((error as Error).message).toContain("'codex-main'");
    expect(credential.state).toBe('needs_login');
    expect(credential.reason).toMatch(/already used by another program \(signed in elsewhere/);
    expect(credential.reason).toContain('run `proxycast login` or `codex login`');
    expect((await fs.readFile(file)).equals(before)).toBe(true);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('never sends the same refresh token again, in this manager, after it failed for good', async () => {
    const { credential } = await expiredCredential();
    rig.mock.failNext({ status: 400, body: { error: 'invalid_grant', error_description: 'bad token' } });
    const manager = rig.manager();
    await expect(manager.getAccessToken(credential)).rejects.toMatchObject({ code: 'credential_needs_login' });
    expect(credential.reason).toMatch(/invalid_grant/);

    credential.state = 'active';
    await expect(manager.getAccessToken(credential)).rejects.toMatchObject({ code: 'credential_needs_login' });
    await expect(manager.getAccessToken(credential, { forceRefresh: true })).rejects.toMatchObject({ code: 'credential_needs_login' });
    expect(rig.mock.refreshCalls).toBe(1);
  });

  it('adopts the newer token another program wrote during the failed call, instead of needs_login', async () => {
    const { file, credential } = await expiredCredential();
    const relogin = rig.mock.issueTokens();
    // The CLI signs in again while our refresh is on the wire; its new login revokes our refresh token.
    rig.mock.beforeNextAnswer(async (body) => {
      rig.mock.revoke(body.refresh_token ?? '');
      const current = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
      const next = { ...current, tokens: { ...current.tokens, access_token: relogin.access_token, refresh_token: relogin.refresh_token, id_token: relogin.id_token } };
      await rewriteInPlace(file, JSON.stringify(next, null, 2));
    });

    const secret = await rig.manager().getAccessToken(credential);

    expect(rig.mock.calls.map((call) => call.outcome)).toEqual(['reused']);
    expect(secret.accessToken).toBe(relogin.access_token);
    expect(credential.state).toBe('active');
  });
});
