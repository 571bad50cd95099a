/**
 * Secrets: with distinctive fake secrets everywhere (client key, admin key, upstream API key, OAuth access, refresh
 * and id tokens, and the tokens a refresh brings), a run of good requests, upstream faults (one of which quotes
 * the Authorization header back in its error body, two in a response.failed event before and after output, one in
 * a token-endpoint error),
 * wrong keys, refreshes that work and that fail, at LOG_LEVEL=debug. Afterwards no piece of any secret appears in
 * any log line, error body, stream, /health, /metrics or admin answer: only masked forms (last four characters).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { MockOAuthServer, type IssuedTokens } from '../helpers/mock-oauth.js';
import { startFaultUpstream, type FaultUpstream } from './fault-upstream.js';
import { FAST_TIMEOUTS, chatBody, responsesBody } from './fault-kit.js';

const hex = () => crypto.randomBytes(12).toString('hex');
const CLIENT_KEY = `pc-client-${hex()}`;
const ADMIN_KEY = `pc-admin-${hex()}`;
const API_KEY = ['sk', 'proxycast', 'canary', hex()].join('-');

let upstream: FaultUpstream;
let oauth: MockOAuthServer;
let apiDaemon: TestDaemon;
let oauthDaemon: TestDaemon;
let login: IssuedTokens;
let tokenFile: string;
/** Every body and header the daemons sent back, for the final search. */
const seen: string[] = [];

function config(credentials: string): string {
  return [
    'server:',
    `  api_keys: ["${CLIENT_KEY}"]`,
    `  admin_key: "${ADMIN_KEY}"`,
    'auth_dir: ~/auth',
    'codex:',
    '  import_cli: false',
    `  chatgpt_base_url: ${upstream.origin}/backend-api/codex`,
    `  oauth_issuer: ${oauth.issuer}`,
    FAST_TIMEOUTS.trimEnd(),
    'credential_pool:',
    '  codex:',
    credentials,
    '',
  ].join('\n');
}

beforeAll(async () => {
  upstream = await startFaultUpstream();
  oauth = await MockOAuthServer.start({ now: () => Date.now() });
  login = oauth.issueTokens();
  apiDaemon = await startTestDaemon({
    home: makeTempHome({
      'config.yaml': config('    - { id: key, token_file: codex/key.json }'),
      'auth/codex/key.json': JSON.stringify({ api_key: API_KEY, api_base_url: upstream.origin }),
    }),
    logLevel: 'debug',
  });
  const expiresAt = new Date(Date.now() + login.expires_in * 1000).toISOString();
  oauthDaemon = await startTestDaemon({
    home: makeTempHome({
      'config.yaml': config('    - { id: login, token_file: codex/login.json }'),
      'auth/codex/login.json': JSON.stringify({ access_token: login.access_token, refresh_token: login.refresh_token, id_token: login.id_token, expires_at: expiresAt, token_type: 'Bearer' }),
    }),
    clock: new FakeClock(Date.now()),
    logLevel: 'debug',
  });
  tokenFile = path.join(oauthDaemon.home, 'auth', 'codex', 'login.json');
});
afterAll(async () => {
  await apiDaemon?.stop();
  await oauthDaemon?.stop();
  await upstream?.close();
  await oauth?.close();
});

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
  return { status: response.status, text };
}

const asClient = (body: unknown, key = CLIENT_KEY): RequestInit => ({
  method: 'POST',
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const asAdmin = (method = 'GET'): RequestInit => ({ method, headers: { authorization: `Bearer ${ADMIN_KEY}` } });

/** The random part of each secret: any 12 characters of it in a text is a leak (a mask shows at most 4). */
function secretCores(): Array<[string, string]> {
  const jwtSignature = (token: string) => token.split('.')[2] ?? token;
  const cores: Array<[string, string]> = [
    ['client key', CLIENT_KEY.slice('pc-client-'.length)],
    ['admin key', ADMIN_KEY.slice('pc-admin-'.length)],
    ['upstream API key', API_KEY.slice('sk-proxycast-canary-'.length)],
    ['access token', jwtSignature(login.access_token)],
    ['id token', jwtSignature(login.id_token)],
    ['refresh token', login.refresh_token.slice('rt_fake_'.length)],
  ];
  // The tokens refreshes brought, as the token file holds them now, and every refresh token ever presented.
  const now = JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as { access_token: string; refresh_token: string; id_token?: string };
  cores.push(['refreshed access token', jwtSignature(now.access_token)], ['refreshed refresh token', now.refresh_token.slice('rt_fake_'.length)]);
  if (now.id_token) cores.push(['refreshed id token', jwtSignature(now.id_token)]);
  for (const presented of oauth.calls.map((tokenCall) => tokenCall.body.refresh_token ?? '')) cores.push(['a presented refresh token', presented.slice('rt_fake_'.length)]);
  return cores;
}

/**
 * Whole tokens of the kinds in play, whichever they are (a refresh mints access tokens no file keeps): a signed
 * JWT, a refresh token, the upstream key's prefix with more than a mask's four characters after it.
 */
const TOKEN_SHAPES: Array<[string, RegExp]> = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['a refresh token', /rt_fake_[A-Za-z0-9_-]{6,}/],
  ['an upstream key', /sk-proxycast-canary-[0-9a-f]{5,}/],
];

function leaksIn(text: string): string[] {
  const found: string[] = TOKEN_SHAPES.filter(([, shape]) => shape.test(text)).map(([name, shape]) => `${name}: ${shape.exec(text)?.[0].slice(0, 40)}…`);
  for (const [name, core] of secretCores()) {
    for (let start = 0; start + 12 <= core.length; start += 3) {
      if (text.includes(core.slice(start, start + 12))) {
        found.push(`${name} (…${core.slice(start, start + 12)}…)`);
        break;
      }
    }
  }
  return found;
}

describe('a run that touches every secret', () => {
  it('serves, fails and refreshes', async () => {
    for (const daemon of [apiDaemon, oauthDaemon]) {
      for (const stream of [true, false]) {
        expect((await call(`${daemon.url}/v1/chat/completions`, asClient(chatBody('ok', 'secrets', stream)))).status).toBe(200);
        expect((await call(`${daemon.url}/v1/responses`, asClient(responsesBody('ok', 'secrets', stream)))).status).toBe(200);
        const faults = ['echo-auth', 'echo-auth-event', 'echo-auth-mid', 'reset-mid', 'html-200', 'garbage'];
        const answers = await Promise.all(
          faults.flatMap((fault) => [
            call(`${daemon.url}/v1/chat/completions`, asClient(chatBody(fault, 'secrets', stream))),
            call(`${daemon.url}/v1/responses`, asClient(responsesBody(fault, 'secrets', stream))),
          ]),
        );
        for (const answer of answers) expect(answer.status, answer.text.slice(0, 200)).not.toBe(500);
      }
      // Wrong client keys, one of them the right key with a character more.
      expect((await call(`${daemon.url}/v1/chat/completions`, asClient(chatBody('ok', 'x', false), `${CLIENT_KEY}x`))).status).toBe(401);
      expect((await call(`${daemon.url}/v1/models`, { headers: { 'x-api-key': `${API_KEY}` } })).status).toBe(401);
    }
    // Refreshes: one that works, one the token endpoint refuses while quoting the token it got.
    expect((await call(`${oauthDaemon.url}/api/admin/credentials/login/refresh`, asAdmin('POST'))).status).toBe(200);
    const current = (JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as { refresh_token: string }).refresh_token;
    oauth.failNext({ status: 400, body: { error: 'invalid_grant', error_description: `refresh token ${current} was revoked` } });
    await call(`${oauthDaemon.url}/api/admin/credentials/login/refresh`, asAdmin('POST'));
    oauth.failNext({ status: 503, body: { error: { code: 'unavailable', message: `could not use ${current} right now` } } });
    await call(`${oauthDaemon.url}/api/admin/credentials/login/refresh`, asAdmin('POST'));
  });

  it('leaves no piece of any secret in any log line, answer, /health, /metrics or admin view', async () => {
    for (const daemon of [apiDaemon, oauthDaemon]) {
      for (const url of ['/health', '/metrics', '/api/admin/credentials', '/api/admin/usage', '/v1/models']) {
        const answer = await call(`${daemon.url}${url}`, url.startsWith('/api/') ? asAdmin() : { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
        expect(answer.status, url).toBe(200);
      }
    }
    const answers = seen.join('\n');
    expect(answers.length).toBeGreaterThan(10_000);
    expect(leaksIn(answers), 'in answers').toEqual([]);
    expect(apiDaemon.runtime.deps.logger.level).toBe('debug');
    for (const daemon of [apiDaemon, oauthDaemon]) expect(leaksIn(daemon.logs()), `in the log of ${daemon.url}`).toEqual([]);
    // The masked forms are there: proof the search looked at lines that mention the secrets.
    expect(apiDaemon.logs() + answers).toMatch(/sk-\.\.\.[0-9a-f]{4}/);
  });
});
