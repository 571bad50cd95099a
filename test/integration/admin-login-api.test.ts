import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { canBind, freePortPair } from '../helpers/login-kit.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';

// The admin page's sign-in API end to end: the real daemon, the loopback mock issuer and the mock Codex backend.

let clock: FakeClock;
let issuer: MockIssuer;
let codex: MockCodex;
let daemon: TestDaemon;
let callbackPort: number;
let home: string;
let loginDir: string;

beforeEach(async () => {
  clock = new FakeClock();
  issuer = await startMockIssuer({ clock });
  codex = await startMockCodex();
  [callbackPort] = await freePortPair();
  home = makeTempHome({
    'config.yaml': [
      'auth_dir: ~/auth',
      'codex:',
      '  import_cli: false',
      `  chatgpt_base_url: ${codex.baseUrl}`,
      `  oauth_issuer: ${issuer.url}`,
      `  oauth_callback_port: ${callbackPort}`,
      '',
    ].join('\n'),
  });
  loginDir = path.join(home, 'auth', 'codex');
  daemon = await startTestDaemon({ home, clock });
});

afterEach(async () => {
  await daemon.stop();
  await issuer.close();
  await codex.close();
});

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

async function admin<T = Record<string, unknown>>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const response = await fetch(`${daemon.url}/api/admin${route}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface LoginStatus {
  status: 'pending' | 'done' | 'failed';
  credential_id: string | null;
  file: string | null;
  email: string | null;
  error: string | null;
}

/** Polls GET /login/:session until it leaves `pending` (bounded by the test timeout). */
async function settled(session: string): Promise<LoginStatus> {
  for (;;) {
    const answer = await admin<LoginStatus>('GET', `/login/${session}`);
    expect(answer.status).toBe(200);
    if (answer.body.status !== 'pending') return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The browser's first hop: the authorize URL, not followed; returns the callback URL the issuer sends it to. */
async function authorizeLocation(authorizeUrl: string): Promise<string> {
  const response = await fetch(authorizeUrl, { redirect: 'manual' });
  await response.arrayBuffer();
  expect(response.status).toBe(302);
  const location = response.headers.get('location');
  expect(location).toMatch(new RegExp(`^http://localhost:${callbackPort}/auth/callback\\?`));
  return location!;
}

/** The whole browser: authorize, then the Location on the daemon's callback server (localhost → 127.0.0.1). */
async function playBrowser(authorizeUrl: string): Promise<{ status: number; page: string }> {
  const target = new URL(await authorizeLocation(authorizeUrl));
  target.hostname = '127.0.0.1';
  const response = await fetch(target);
  return { status: response.status, page: await response.text() };
}

async function startBrowserLogin(): Promise<{ session: string; authorize_url: string; redirect_uri: string }> {
  const started = await admin<{ session: string; authorize_url: string; redirect_uri: string }>('POST', '/login/browser', {});
  expect(started.status).toBe(200);
  return started.body;
}

async function credentials(): Promise<Array<Record<string, unknown>>> {
  const answer = await admin<Array<Record<string, unknown>>>('GET', '/credentials');
  expect(answer.status).toBe(200);
  return answer.body;
}

function loginFiles(): string[] {
  return fs.existsSync(loginDir) ? fs.readdirSync(loginDir).sort() : [];
}

function chatClient(): OpenAI {
  return new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'anything', maxRetries: 0 });
}

async function chatOnce(text: string) {
  return chatClient().chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: text }] }).withResponse();
}

const ALICE = 'alice@example.test';

describe('admin login API: browser login', () => {
  it('signs in through the callback server; the credential is listed at once and serves the next chat', async () => {
    // No credential yet: a chat cannot be served.
    const before = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(before.status).toBeGreaterThanOrEqual(400);
    await before.arrayBuffer();

    const started = await startBrowserLogin();
    expect(started.redirect_uri).toBe(`http://localhost:${callbackPort}/auth/callback`);
    expect(new URL(started.authorize_url).origin).toBe(issuer.url);
    expect(await admin<LoginStatus>('GET', `/login/${started.session}`)).toMatchObject({ status: 200, body: { status: 'pending' } });

    const visit = await playBrowser(started.authorize_url);
    expect(visit.status).toBe(200);
    expect(visit.page).toContain(ALICE);

    const done = await settled(started.session);
    expect(done).toEqual({ status: 'done', credential_id: ALICE, file: path.join(loginDir, `${ALICE}.json`), email: ALICE, error: null });
    expect(issuer.codeExchanges.map((call) => call.outcome)).toEqual(['issued']);

    // Listed straight away, without a restart.
    expect(await credentials()).toEqual([
      expect.objectContaining({ id: ALICE, kind: 'oauth', source: 'login', state: 'active', email: ALICE, account_id: 'acct-alice-0001' }),
    ]);
    const file = path.join(loginDir, `${ALICE}.json`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const issued = issuer.issued[0]!;
    expect(saved).toMatchObject({ access_token: issued.access_token, refresh_token: issued.refresh_token, id_token: issued.id_token, account_id: 'acct-alice-0001', email: ALICE });

    // The next chat goes through the new credential.
    const { data, response } = await chatOnce('first words');
    expect(data.choices[0]?.message.content).toBe('echo: first words');
    expect(response.headers.get('x-proxycast-credential')).toBe(ALICE);
    const calls = codex.responsesCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers.authorization).toBe(`Bearer ${issued.access_token}`);
    expect(calls[0]?.headers['chatgpt-account-id']).toBe('acct-alice-0001');

    // The callback port was given back.
    expect(await canBind(callbackPort)).toBe(true);
  });

  it('logging in again to the same account replaces the tokens instead of adding a second credential', async () => {
    const first = await startBrowserLogin();
    await playBrowser(first.authorize_url);
    expect((await settled(first.session)).status).toBe('done');
    await chatOnce('with the first tokens');

    const second = await startBrowserLogin();
    await playBrowser(second.authorize_url);
    expect(await settled(second.session)).toMatchObject({ status: 'done', credential_id: ALICE });

    expect(issuer.issued).toHaveLength(2);
    const [old, renewed] = [issuer.issued[0]!, issuer.issued[1]!];
    expect(renewed.access_token).not.toBe(old.access_token);
    expect(loginFiles()).toEqual([`${ALICE}.json`]);
    const listed = await credentials();
    expect(listed.map((entry) => entry.id)).toEqual([ALICE]);
    const saved = JSON.parse(fs.readFileSync(path.join(loginDir, `${ALICE}.json`), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ access_token: renewed.access_token, refresh_token: renewed.refresh_token });

    const { response } = await chatOnce('with the new tokens');
    expect(response.headers.get('x-proxycast-credential')).toBe(ALICE);
    const calls = codex.responsesCalls();
    expect(calls.map((call) => call.headers.authorization)).toEqual([`Bearer ${old.access_token}`, `Bearer ${renewed.access_token}`]);
  });
});

describe('admin login API: pasted callback URL', () => {
  it('finishes the login from the pasted redirect URL; the credential is in the pool when the call returns', async () => {
    const started = await startBrowserLogin();
    // The browser is "on another machine": the callback server never sees the redirect.
    const location = await authorizeLocation(started.authorize_url);

    const finished = await admin('POST', `/login/${started.session}/callback`, { url: `  ${location}\n` });
    expect(finished).toEqual({ status: 200, body: { status: 'done', credential_id: ALICE, file: path.join(loginDir, `${ALICE}.json`) } });
    // Right away, with no polling in between.
    expect((await credentials()).map((entry) => [entry.id, entry.source, entry.state])).toEqual([[ALICE, 'login', 'active']]);
    expect(await admin<LoginStatus>('GET', `/login/${started.session}`)).toMatchObject({ body: { status: 'done', credential_id: ALICE, email: ALICE } });

    const { response } = await chatOnce('pasted');
    expect(response.headers.get('x-proxycast-credential')).toBe(ALICE);
    expect(codex.responsesCalls()[0]?.headers.authorization).toBe(`Bearer ${issuer.issued[0]?.access_token}`);
    expect(await canBind(callbackPort)).toBe(true);
  });

  it('text that is not a callback URL is refused and leaves the login waiting', async () => {
    const started = await startBrowserLogin();
    const refused = await admin<{ error: { message: string } }>('POST', `/login/${started.session}/callback`, { url: 'hello' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('That is not the callback URL');
    expect((await admin<LoginStatus>('GET', `/login/${started.session}`)).body.status).toBe('pending');

    const location = await authorizeLocation(started.authorize_url);
    expect((await admin('POST', `/login/${started.session}/callback`, { url: location })).status).toBe(200);
    expect(loginFiles()).toEqual([`${ALICE}.json`]);
  });

  it('a pasted URL with the wrong state fails the login with a clear message and writes nothing', async () => {
    const started = await startBrowserLogin();
    const forged = new URL(await authorizeLocation(started.authorize_url));
    forged.searchParams.set('state', 'not-the-state-we-sent');

    const refused = await admin<{ error: { code: string; message: string } }>('POST', `/login/${started.session}/callback`, { url: forged.href });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^Login failed: .*state/i);

    const status = await settled(started.session);
    expect(status.status).toBe('failed');
    expect(status.credential_id).toBeNull();
    expect(status.error).toMatch(/state/i);
    expect(status.error).toMatch(/nothing was saved/i);
    expect(issuer.codeExchanges).toHaveLength(0);
    expect(loginFiles()).toEqual([]);
    expect(await credentials()).toEqual([]);
    expect(await canBind(callbackPort)).toBe(true);
    // The failed session takes no more callbacks.
    expect((await admin('POST', `/login/${started.session}/callback`, { url: forged.href })).status).toBe(400);
  });
});

describe('admin login API: device code', () => {
  it('hands out the URL and code, stays pending until approved, then the credential serves chat', async () => {
    issuer.device.pendingPolls = 1;
    issuer.device.interval = '1';

    const started = await admin<{ session: string; verification_url: string; user_code: string; expires_at: string }>('POST', '/login/device', {});
    expect(started.status).toBe(200);
    expect(started.body.verification_url).toBe(`${issuer.url}/codex/device`);
    expect(started.body.user_code).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(started.body.expires_at).toBe(new Date(clock.now() + 15 * 60_000).toISOString());

    // The first poll was answered "authorization pending"; the next comes one interval later.
    while (issuer.devicePolls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await admin<LoginStatus>('GET', `/login/${started.body.session}`)).toMatchObject({ body: { status: 'pending', credential_id: null } });
    expect(loginFiles()).toEqual([]);

    expect(await settled(started.body.session)).toMatchObject({ status: 'done', credential_id: ALICE, email: ALICE });
    expect(issuer.devicePolls).toHaveLength(2);
    expect(issuer.devicePolls.every((poll) => poll.user_code === started.body.user_code)).toBe(true);
    expect(issuer.codeExchanges[0]).toMatchObject({ outcome: 'issued', body: { redirect_uri: `${issuer.url}/deviceauth/callback` } });
    expect((await credentials()).map((entry) => [entry.id, entry.source])).toEqual([[ALICE, 'login']]);

    const { response } = await chatOnce('device');
    expect(response.headers.get('x-proxycast-credential')).toBe(ALICE);
    expect(codex.responsesCalls()[0]?.headers.authorization).toBe(`Bearer ${issuer.issued[0]?.access_token}`);
  });

  it('says so when device-code login is not enabled for the account', async () => {
    issuer.device.mode = 'not_enabled';
    const refused = await admin<{ error: { message: string } }>('POST', '/login/device', {});
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('Device-code login is not enabled for this account');
    expect(loginFiles()).toEqual([]);
  });
});

describe('admin login API: guard', () => {
  it('refuses a cross-origin POST with 403 admin_forbidden and starts nothing', async () => {
    const evil = { origin: 'http://evil.example' };
    const browser = await admin<{ error: { code: string } }>('POST', '/login/browser', {}, evil);
    expect(browser.status).toBe(403);
    expect(browser.body.error.code).toBe('admin_forbidden');
    expect(await canBind(callbackPort)).toBe(true);

    const device = await admin<{ error: { code: string } }>('POST', '/login/device', {}, evil);
    expect(device).toMatchObject({ status: 403, body: { error: { code: 'admin_forbidden' } } });

    // A real session cannot be finished from another origin either.
    const started = await startBrowserLogin();
    const location = await authorizeLocation(started.authorize_url);
    const paste = await admin<{ error: { code: string } }>('POST', `/login/${started.session}/callback`, { url: location }, evil);
    expect(paste).toMatchObject({ status: 403, body: { error: { code: 'admin_forbidden' } } });
    const cancel = await admin<{ error: { code: string } }>('DELETE', `/login/${started.session}`, undefined, evil);
    expect(cancel).toMatchObject({ status: 403, body: { error: { code: 'admin_forbidden' } } });
    expect((await admin<LoginStatus>('GET', `/login/${started.session}`)).body.status).toBe('pending');
    expect(issuer.codeExchanges).toHaveLength(0);
    expect(issuer.devicePolls).toHaveLength(0);

    // The same call from the page's own origin goes through.
    expect((await admin('POST', `/login/${started.session}/callback`, { url: location }, { origin: daemon.url })).status).toBe(200);
    expect(loginFiles()).toEqual([`${ALICE}.json`]);
  });
});
