import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialFromFile, startLifecycleRig, testLogger, writeCodexAuthJson, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const ELEVEN_DAYS_MS = 11 * 24 * 3600 * 1000;
let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

describe('one refresh for many callers', () => {
  it('50 concurrent calls on an expired token make exactly 1 refresh call and all get the new token', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    await writeCodexAuthJson(file, login, { extra: { extra_key: { keep: [1, 2, 3] } }, extraTokenKeys: { something: 'kept' } });
    const credential = await credentialFromFile(file);
    const outcomes: string[] = [];
    const manager = rig.manager({ onRefresh: (_credential, outcome) => outcomes.push(outcome) });
    rig.clock.advance(ELEVEN_DAYS_MS);

    const results = await Promise.all(Array.from({ length: 50 }, () => manager.getAccessToken(credential)));

    expect(rig.mock.refreshCalls).toBe(1);
    // One shared flight in this process: no caller had to queue on the file lock and adopt the winner's tokens.
    expect(outcomes).toEqual(['success']);
    const tokens = new Set(results.map((secret) => secret.accessToken));
    expect(tokens.size).toBe(1);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(tokens.has(onDisk.tokens?.access_token as string)).toBe(true);
    expect(onDisk.tokens?.access_token).not.toBe(login.access_token);
    expect(onDisk.tokens?.refresh_token).not.toBe(login.refresh_token);
    expect(onDisk.tokens?.refresh_token).toBe(results[0]?.refreshToken);
  });

  it('writes the rotated tokens back 0600 in the Codex CLI format, keeping every key it does not own', async () => {
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    await writeCodexAuthJson(file, login, { extra: { extra_key: { keep: [1, 2, 3] } }, extraTokenKeys: { something: 'kept' } });
    await fs.chmod(file, 0o644);
    const credential = await credentialFromFile(file);
    rig.clock.advance(ELEVEN_DAYS_MS);
    const secret = await rig.manager().getAccessToken(credential);

    const stat = await fs.stat(file);
    expect(stat.mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toEqual({
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: secret.idToken,
        access_token: secret.accessToken,
        refresh_token: secret.refreshToken,
        account_id: 'acct-fake-0001',
        something: 'kept',
      },
      last_refresh: new Date(rig.clock.now()).toISOString(),
      extra_key: { keep: [1, 2, 3] },
    });
    expect(credential.file?.text).toBe(await fs.readFile(file, 'utf8'));
    expect(await fs.readdir(rig.dir)).toEqual(['auth.json']);
  });

  it('keeps a flat proxycast token file flat, with the new expires_at', async () => {
    const file = path.join(rig.dir, 'oauth.json');
    const login = rig.mock.issueTokens();
    const flat = { access_token: login.access_token, refresh_token: login.refresh_token, expires_at: '2020-01-01T00:00:00Z', token_type: 'Bearer', note: 'mine' };
    await fs.writeFile(file, JSON.stringify(flat), { mode: 0o600 });
    const credential = await credentialFromFile(file);
    const secret = await rig.manager().getAccessToken(credential);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ access_token: secret.accessToken, refresh_token: secret.refreshToken, token_type: 'Bearer', note: 'mine', email: 'tester@example.test' });
    expect(Date.parse(onDisk.expires_at as string)).toBe(secret.expiresAt);
    expect(onDisk).not.toHaveProperty('tokens');
  });

  it('logs the refresh without any token in clear', async () => {
    const lines: string[] = [];
    const file = path.join(rig.dir, 'auth.json');
    const login = rig.mock.issueTokens();
    await writeCodexAuthJson(file, login);
    const credential = await credentialFromFile(file);
    rig.clock.advance(ELEVEN_DAYS_MS);
    const secret = await rig.manager({ logger: testLogger(lines) }).getAccessToken(credential);
    const log = lines.join('');
    expect(log).toContain('access token refreshed');
    for (const token of [login.access_token, login.refresh_token, secret.accessToken, secret.refreshToken, secret.idToken ?? 'none']) {
      expect(log).not.toContain(token);
      expect(log).not.toContain(token.slice(0, 24));
    }
  });
});
