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

describe('refresh before expiry', () => {
  it('does not refresh 6 minutes before expiry, and refreshes once 4 minutes before', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    const original = await writeCodexAuthJson(file, login);
    const credential = await credentialFromFile(file);
    const manager = rig.manager();

    rig.clock.advance(TEN_DAYS_MS - 6 * 60_000);
    const early = await manager.getAccessToken(credential);
    expect(early.accessToken).toBe(login.access_token);
    expect(rig.mock.refreshCalls).toBe(0);
    expect(await fs.readFile(file, 'utf8')).toBe(original);

    rig.clock.advance(2 * 60_000);
    const refreshed = await manager.getAccessToken(credential);
    expect(rig.mock.refreshCalls).toBe(1);
    expect(rig.mock.calls[0]?.headers.originator).toBe('codex_cli_rs');
    expect(rig.mock.calls[0]?.headers['user-agent']).toMatch(/^codex_cli_rs\/\S+ .*proxycast$/);
    expect(refreshed.accessToken).not.toBe(login.access_token);
    expect(refreshed.expiresAt).toBeGreaterThan(rig.clock.now() + TEN_DAYS_MS - 60_000);
    expect(credential.state).toBe('active');
    expect(credential.stats.lastRefreshAt).toBe(rig.clock.now());

    const again = await manager.getAccessToken(credential);
    expect(again.accessToken).toBe(refreshed.accessToken);
    expect(rig.mock.refreshCalls).toBe(1);
  });

  it('refreshes when forced, and never refreshes an API-key credential', async () => {
    const file = path.join(rig.dir, 'auth.json');
    await writeCodexAuthJson(file, rig.mock.issueTokens());
    const credential = await credentialFromFile(file);
    const manager = rig.manager();
    await manager.getAccessToken(credential, { forceRefresh: true });
    expect(rig.mock.refreshCalls).toBe(1);

    const keyFile = path.join(rig.dir, 'key.json');
    await fs.writeFile(keyFile, JSON.stringify({ api_key: 'sk-test-not-a-real-key' }), { mode: 0o600 });
    const keyCredential = await credentialFromFile(keyFile, 'api-key');
    const secret = await manager.getSecret(keyCredential, { forceRefresh: true });
    expect(secret).toMatchObject({ kind: 'api_key', apiKey: 'sk-test-not-a-real-key' });
    await expect(manager.getAccessToken(keyCredential)).rejects.toThrow(/API key/);
    expect(rig.mock.refreshCalls).toBe(1);
  });
});
