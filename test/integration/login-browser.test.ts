import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import { FakeClock } from '../helpers/daemon.js';
import {
  authorizeUrlLine,
  canBind,
  freePortPair,
  loginConfig,
  loginDeps,
  loginFiles,
  makeLoginHome,
  occupyPort,
  playBrowser,
  startLoginCommand,
  type BrowserVisit,
} from '../helpers/login-kit.js';
import { MOCK_ISSUER_CLIENT_ID, startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';

let issuer: MockIssuer;
let clock: FakeClock;
let deps: Deps;
let dirs: ReturnType<typeof makeLoginHome>;
let ports: [number, number];

beforeEach(async () => {
  clock = new FakeClock();
  issuer = await startMockIssuer({ clock });
  dirs = makeLoginHome();
  deps = loginDeps(dirs.home, clock);
  ports = await freePortPair();
});

afterEach(async () => {
  await issuer.close();
  await deps.dispatcher.close();
  fs.rmSync(dirs.home, { recursive: true, force: true });
});

/** `proxycast login` whose "browser" follows the authorize URL as soon as it is opened. */
async function browserLogin(extra: { id?: string } = {}): Promise<{ code: number; visit: BrowserVisit | undefined; out: string; err: string }> {
  let visit: Promise<BrowserVisit> | undefined;
  const run = startLoginCommand(
    { config: loginConfig(issuer), deps },
    {
      ...extra,
      callbackPorts: ports,
      openBrowser: (url) => {
        visit = playBrowser(url);
        return true;
      },
    },
  );
  const code = await run.exitCode;
  return { code, visit: visit ? await visit : undefined, out: run.stdout(), err: run.stderr() };
}

function readLogin(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dirs.loginDir, file), 'utf8')) as Record<string, unknown>;
}

describe('proxycast login (browser)', () => {
  it('prints the authorize URL, takes the callback, saves auth_dir/codex/<email>.json 0600 and prints id and file', async () => {
    const result = await browserLogin();

    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    const printedUrl = result.out.match(authorizeUrlLine(issuer))?.[1];
    expect(printedUrl).toBeDefined();
    expect(result.visit?.status).toBe(200);
    expect(result.visit?.page).toContain('Signed in to proxycast');
    expect(result.visit?.callbackUrl.startsWith(`http://localhost:${ports[0]}/auth/callback?code=`)).toBe(true);

    const file = path.join(dirs.loginDir, 'alice@example.test.json');
    expect(loginFiles(dirs.loginDir)).toEqual(['alice@example.test.json']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const issued = issuer.issued[0];
    expect(readLogin('alice@example.test.json')).toEqual({
      access_token: issued?.access_token,
      refresh_token: issued?.refresh_token,
      token_type: 'Bearer',
      expires_at: new Date(clock.now() + 864_000_000).toISOString(),
      id_token: issued?.id_token,
      account_id: 'acct-alice-0001',
      email: 'alice@example.test',
      last_refresh: new Date(clock.now()).toISOString(),
    });
    expect(result.out).toContain('Credential: alice@example.test\n');
    expect(result.out).toContain(`File: ${file}\n`);
    expect(result.out).toContain('(plan plus)');
    expect(await canBind(ports[0])).toBe(true);
  });

  it('sends the section 3.2 authorize parameters in order and exchanges the code with the PKCE verifier', async () => {
    await browserLogin();

    const query = new URLSearchParams(issuer.authorizeQueries[0]);
    expect([...query.keys()]).toEqual([
      'response_type', 'client_id', 'redirect_uri', 'scope', 'code_challenge', 'code_challenge_method',
      'id_token_add_organizations', 'codex_cli_simplified_flow', 'state', 'originator',
    ]);
    expect(query.get('redirect_uri')).toBe(`http://localhost:${ports[0]}/auth/callback`);
    expect(query.get('scope')).toBe('openid profile email offline_access');
    expect(issuer.codeExchanges).toHaveLength(1);
    expect(issuer.codeExchanges[0]).toMatchObject({
      contentType: expect.stringContaining('application/x-www-form-urlencoded'),
      outcome: 'issued',
      body: { grant_type: 'authorization_code', client_id: MOCK_ISSUER_CLIENT_ID, redirect_uri: `http://localhost:${ports[0]}/auth/callback` },
    });
  });

  it('logging in again to the same account replaces the tokens in the same file and keeps its other keys', async () => {
    expect((await browserLogin()).code).toBe(0);
    const first = readLogin('alice@example.test.json');
    fs.writeFileSync(path.join(dirs.loginDir, 'alice@example.test.json'), JSON.stringify({ ...first, note: 'kept' }));
    clock.advance(60_000);

    const again = await browserLogin();

    expect(again.code).toBe(0);
    expect(again.out).toContain('Signed in again as alice@example.test');
    expect(loginFiles(dirs.loginDir)).toEqual(['alice@example.test.json']);
    const second = readLogin('alice@example.test.json');
    expect(second.refresh_token).toBe(issuer.issued[1]?.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.last_refresh).toBe(new Date(clock.now()).toISOString());
    expect(second.note).toBe('kept');
  });

  it('takes expires_at from expires_in, else from the access-token exp', async () => {
    issuer.expiresIn = 3600;
    expect((await browserLogin()).code).toBe(0);
    expect(readLogin('alice@example.test.json').expires_at).toBe(new Date(clock.now() + 3_600_000).toISOString());

    issuer.expiresIn = undefined;
    expect((await browserLogin()).code).toBe(0);
    // fake-jwt's access tokens live 10 days from their iat.
    expect(readLogin('alice@example.test.json').expires_at).toBe(new Date(clock.now() + 10 * 24 * 3_600_000).toISOString());
  });

  it('--id NAME stores the name as the credential id in the file and prints it', async () => {
    const result = await browserLogin({ id: 'work-account' });

    expect(result.code).toBe(0);
    expect(result.out).toContain('Credential: work-account\n');
    expect(readLogin('alice@example.test.json').id).toBe('work-account');
  });

  it('a second account under the same email (another workspace) gets <account id>.json instead of replacing the first', async () => {
    expect((await browserLogin()).code).toBe(0);
    issuer.identity = { ...issuer.identity, accountId: 'acct-team-0002', planType: 'team' };

    const team = await browserLogin();

    expect(team.code).toBe(0);
    expect(loginFiles(dirs.loginDir)).toEqual(['acct-team-0002.json', 'alice@example.test.json']);
    expect(readLogin('alice@example.test.json').account_id).toBe('acct-alice-0001');
    expect(readLogin('acct-team-0002.json')).toMatchObject({ account_id: 'acct-team-0002', email: 'alice@example.test' });
  });

  it('falls back to the second port when the first is busy', async () => {
    const release = await occupyPort(ports[0]);
    try {
      const result = await browserLogin();

      expect(result.code).toBe(0);
      expect(result.visit?.callbackUrl.startsWith(`http://localhost:${ports[1]}/auth/callback?`)).toBe(true);
      expect(new URLSearchParams(issuer.authorizeQueries[0]).get('redirect_uri')).toBe(`http://localhost:${ports[1]}/auth/callback`);
      expect(await canBind(ports[1])).toBe(true);
    } finally {
      await release();
    }
  });
});
