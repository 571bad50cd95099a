import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialFromFile, startLifecycleRig, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const TEN_DAYS_MS = 10 * 24 * 3600 * 1000;
let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig({ refreshMarginSeconds: 300 });
});
afterEach(async () => rig.close());

async function loggedIn(): Promise<{ file: string; access: string; credential: Awaited<ReturnType<typeof credentialFromFile>> }> {
  const file = path.join(rig.dir, 'auth.json');
  const login = rig.mock.issueTokens();
  await writeCodexAuthJson(file, login);
  return { file, access: login.access_token, credential: await credentialFromFile(file) };
}

describe('a refresh that fails for now (network, 5xx)', () => {
  it('keeps serving the still-valid token, backs off, then refreshes once the backoff is over', async () => {
    const { file, access, credential } = await loggedIn();
    const before = await fs.readFile(file, 'utf8');
    const manager = rig.manager();
    rig.clock.advance(TEN_DAYS_MS - 2 * 60_000);
    rig.mock.failTransiently();

    expect((await manager.getAccessToken(credential)).accessToken).toBe(access);
    expect(rig.mock.refreshCalls).toBe(1);
    expect(credential.state).toBe('active');
    expect(credential.stats.lastRefreshError).toMatch(/HTTP 503.*next attempt after/);
    expect(await fs.readFile(file, 'utf8')).toBe(before);

    // Inside the backoff: no new network call, still the current token.
    rig.clock.advance(1_000);
    expect((await manager.getAccessToken(credential)).accessToken).toBe(access);
    expect(rig.mock.refreshCalls).toBe(1);

    rig.clock.advance(10_000);
    const refreshed = await manager.getAccessToken(credential);
    expect(rig.mock.refreshCalls).toBe(2);
    expect(refreshed.accessToken).not.toBe(access);
    expect(credential.stats.lastRefreshError).toBeUndefined();
  });

  it('with the token already expired: cooldown until the next attempt, and a 502 upstream_unavailable', async () => {
    const { credential } = await loggedIn();
    const manager = rig.manager();
    rig.clock.advance(TEN_DAYS_MS + 60_000);
    rig.mock.failTransiently(2);

    const error = await manager.getAccessToken(credential).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'upstream_unavailable' });
    expect((error as Error).message).toMatch(/expired at .* and refreshing it failed/);
    expect(credential.state).toBe('cooldown');
    expect(credential.cooldownUntil).toBe(rig.clock.now() + 5_000);
    expect(credential.reason).toMatch(/refreshing the access token failed .*next attempt after/);

    rig.clock.advance(5_000);
    await expect(manager.getAccessToken(credential)).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(credential.cooldownUntil).toBe(rig.clock.now() + 10_000);
    rig.clock.advance(10_000);
    await expect(manager.getAccessToken(credential)).resolves.toMatchObject({ kind: 'oauth' });
    expect(credential.state).toBe('active');
    expect(credential.cooldownUntil).toBeUndefined();
    expect(rig.mock.refreshCalls).toBe(3);
  });

  it('does not clear a cooldown that is not its own (a usage limit set by the pool)', async () => {
    const { credential } = await loggedIn();
    const manager = rig.manager();
    rig.clock.advance(TEN_DAYS_MS - 60_000);
    credential.state = 'cooldown';
    credential.cooldownUntil = rig.clock.now() + 3600_000;
    credential.reason = 'usage limit reached';
    await manager.runBackgroundPass([credential]);
    expect(rig.mock.refreshCalls).toBe(1);
    expect(credential.state).toBe('cooldown');
    expect(credential.reason).toBe('usage limit reached');
  });
});
