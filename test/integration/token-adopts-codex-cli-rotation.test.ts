import fs from 'node:fs/promises';
import path from 'node:path';
import { fetch } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MOCK_CLIENT_ID, type IssuedTokens } from '../helpers/mock-oauth.js';
import { credentialFromFile, rewriteInPlace, startLifecycleRig, type LifecycleRig } from '../helpers/token-lifecycle-fixtures.js';

const ELEVEN_DAYS_MS = 11 * 24 * 3600 * 1000;
let rig: LifecycleRig;

beforeEach(async () => {
  rig = await startLifecycleRig();
});
afterEach(async () => rig.close());

/** Plays the Codex CLI: refreshes with a JSON body, then rewrites auth.json in place (truncate + write, no lock). */
async function codexCliRefresh(file: string, refreshToken: string): Promise<IssuedTokens> {
  const response = await fetch(`${rig.mock.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', originator: 'codex_cli_rs' },
    body: JSON.stringify({ client_id: MOCK_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as IssuedTokens;
  const current = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
  const next = { ...current, tokens: { ...current.tokens, ...tokens }, last_refresh: new Date(rig.clock.now()).toISOString() };
  delete (next.tokens as Record<string, unknown>).token_type;
  delete (next.tokens as Record<string, unknown>).expires_in;
  await rewriteInPlace(file, JSON.stringify(next, null, 2));
  return tokens;
}

async function loggedInFile(): Promise<{ file: string; login: IssuedTokens }> {
  const file = path.join(rig.dir, 'auth.json');
  const login = rig.mock.issueTokens();
  const body = { OPENAI_API_KEY: null, tokens: { id_token: login.id_token, access_token: login.access_token, refresh_token: login.refresh_token, account_id: 'acct-fake-0001' }, last_refresh: '2026-01-01T00:00:00Z' };
  await fs.writeFile(file, JSON.stringify(body, null, 2), { mode: 0o600 });
  return { file, login };
}

describe('sharing auth.json with the Codex CLI', () => {
  it('adopts the tokens the CLI rotated with no refresh call of its own and no refresh_token_reused', async () => {
    const { file, login } = await loggedInFile();
    const credential = await credentialFromFile(file);
    const manager = rig.manager();
    rig.clock.advance(ELEVEN_DAYS_MS);
    const cli = await codexCliRefresh(file, login.refresh_token);
    expect(rig.mock.refreshCalls).toBe(1);

    const secret = await manager.getAccessToken(credential);

    expect(secret.accessToken).toBe(cli.access_token);
    expect(secret.refreshToken).toBe(cli.refresh_token);
    expect(rig.mock.refreshCalls).toBe(1);
    expect(rig.mock.calls.filter((call) => call.outcome === 'reused')).toHaveLength(0);
    expect(credential.state).toBe('active');
    // Nothing to write: the file stays exactly as the CLI left it.
    expect(credential.file?.text).toBe(await fs.readFile(file, 'utf8'));
  });

  it('on an upstream 401 takes the CLI-rotated tokens from the file instead of refreshing', async () => {
    const { file, login } = await loggedInFile();
    const credential = await credentialFromFile(file);
    const manager = rig.manager();
    const cli = await codexCliRefresh(file, login.refresh_token);

    const secret = await manager.getAccessToken(credential, { rejectedAccessToken: login.access_token });

    expect(secret.accessToken).toBe(cli.access_token);
    expect(rig.mock.refreshCalls).toBe(1);
  });

  it('after the CLI refreshed, our next refresh uses the CLI’s new refresh token, and the CLI can still read the file', async () => {
    const { file, login } = await loggedInFile();
    const credential = await credentialFromFile(file);
    const manager = rig.manager();
    const cli = await codexCliRefresh(file, login.refresh_token);
    rig.clock.advance(ELEVEN_DAYS_MS);

    const secret = await manager.getAccessToken(credential);

    expect(rig.mock.refreshCalls).toBe(2);
    expect(rig.mock.calls[1]?.body.refresh_token).toBe(cli.refresh_token);
    expect(rig.mock.calls.map((call) => call.outcome)).toEqual(['issued', 'issued']);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as { tokens: Record<string, string> };
    expect(onDisk.tokens.refresh_token).toBe(secret.refreshToken);
    await codexCliRefresh(file, onDisk.tokens.refresh_token ?? '');
    expect(rig.mock.calls.map((call) => call.outcome)).toEqual(['issued', 'issued', 'issued']);
  });
});
