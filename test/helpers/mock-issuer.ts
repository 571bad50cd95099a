import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeAccessToken, fakeIdToken, fakeRefreshToken, type FakeIdentity } from './fake-jwt.js';

/** The Codex CLI's OAuth client id; the mock refuses any other. */
export const MOCK_ISSUER_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** One POST /oauth/token the mock received, and how it judged it. */
export interface CodeExchangeCall {
  contentType: string;
  body: Record<string, string>;
  status: number;
  outcome: 'issued' | 'unknown_code' | 'wrong_redirect_uri' | 'wrong_verifier' | 'bad_request';
}

/** A token response the mock handed out. */
export interface IssuedLoginTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  token_type: 'Bearer';
  expires_in?: number;
}

/** How the device-code endpoints behave. */
export interface MockDeviceBehaviour {
  /** `not_enabled`: usercode answers 404; `never_approved`: the token poll stays pending for ever. */
  mode: 'enabled' | 'not_enabled' | 'never_approved';
  /** How many polls answer 403 (pending) before the approval. */
  pendingPolls: number;
  /** The interval the usercode answer carries, as the string of seconds the real issuer sends. */
  interval: string;
}

/** A loopback auth.openai.com; its behaviour fields may be changed between logins. */
export interface MockIssuer {
  /** http://127.0.0.1:PORT, usable as codex.oauth_issuer. */
  url: string;
  /** Who signs in next. */
  identity: FakeIdentity;
  /** `deny` redirects back with error=access_denied; `deny_missing_entitlement` adds missing_codex_entitlement. */
  consent: 'grant' | 'deny' | 'deny_missing_entitlement';
  /** When set, the authorize redirect carries this state instead of the one it received (a stale or forged callback). */
  forgedState: string | undefined;
  device: MockDeviceBehaviour;
  /** The `expires_in` of token answers (seconds); undefined leaves it out, so only the access-token `exp` tells. */
  expiresIn: number | undefined;
  /** Every authorize query, as received (raw query string, to check order and encoding). */
  authorizeQueries: string[];
  codeExchanges: CodeExchangeCall[];
  issued: IssuedLoginTokens[];
  devicePolls: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

interface PendingCode {
  challenge: string;
  redirectUri: string;
  identity: FakeIdentity;
}

interface DeviceSession {
  userCode: string;
  pendingLeft: number;
  verifier: string;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function s256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier).digest('base64url');
}

/** Starts the mock on 127.0.0.1, port 0. Tokens are minted at run time with `clock` (default Date.now). */
export async function startMockIssuer(options: { clock?: { now(): number }; identity?: FakeIdentity } = {}): Promise<MockIssuer> {
  const now = (): number => (options.clock ?? Date).now();
  const codes = new Map<string, PendingCode>();
  const deviceSessions = new Map<string, DeviceSession>();
  const server = http.createServer((request, response) => {
    void route(request, response).catch((error: unknown) => sendJson(response, 500, { error: 'mock_failure', error_description: String(error) }));
  });
  const issuer: MockIssuer = {
    url: '',
    identity: options.identity ?? { email: 'alice@example.test', accountId: 'acct-alice-0001', planType: 'plus' },
    consent: 'grant',
    forgedState: undefined,
    device: { mode: 'enabled', pendingPolls: 2, interval: '5' },
    expiresIn: 864_000,
    authorizeQueries: [],
    codeExchanges: [],
    issued: [],
    devicePolls: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function authorize(url: URL, response: http.ServerResponse): void {
    issuer.authorizeQueries.push(url.search.slice(1));
    const query = url.searchParams;
    const redirectUri = query.get('redirect_uri');
    const state = query.get('state');
    const challenge = query.get('code_challenge');
    const valid = query.get('response_type') === 'code' && query.get('client_id') === MOCK_ISSUER_CLIENT_ID && query.get('code_challenge_method') === 'S256';
    if (!valid || !redirectUri || !state || !challenge) {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('bad authorize request');
      return;
    }
    const back = new URL(redirectUri);
    if (issuer.consent === 'grant') {
      const code = `code-${crypto.randomBytes(12).toString('hex')}`;
      codes.set(code, { challenge, redirectUri, identity: { ...issuer.identity } });
      back.searchParams.set('code', code);
    } else {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', issuer.consent === 'deny_missing_entitlement' ? 'missing_codex_entitlement' : 'The user declined consent');
    }
    back.searchParams.set('state', issuer.forgedState ?? state);
    response.writeHead(302, { location: back.href });
    response.end();
  }

  function issueTokens(identity: FakeIdentity): IssuedLoginTokens {
    const nowMs = now();
    const tokens: IssuedLoginTokens = {
      access_token: fakeAccessToken({ nowMs, identity }),
      refresh_token: fakeRefreshToken(),
      id_token: fakeIdToken({ nowMs, issuer: issuer.url, clientId: MOCK_ISSUER_CLIENT_ID, identity }),
      token_type: 'Bearer',
      ...(issuer.expiresIn !== undefined ? { expires_in: issuer.expiresIn } : {}),
    };
    issuer.issued.push(tokens);
    return tokens;
  }

  function exchange(contentType: string, text: string, response: http.ServerResponse): void {
    const body = Object.fromEntries(new URLSearchParams(text));
    const judge = (status: number, outcome: CodeExchangeCall['outcome'], answer: unknown): void => {
      issuer.codeExchanges.push({ contentType, body, status, outcome });
      sendJson(response, status, answer);
    };
    if (!contentType.startsWith('application/x-www-form-urlencoded') || body.grant_type !== 'authorization_code' || body.client_id !== MOCK_ISSUER_CLIENT_ID) {
      judge(400, 'bad_request', { error: 'invalid_request', error_description: 'expected a form-encoded authorization_code grant for the Codex client' });
      return;
    }
    const pending = body.code ? codes.get(body.code) : undefined;
    if (!pending) return judge(400, 'unknown_code', { error: 'invalid_grant', error_description: 'unknown or used authorization code' });
    codes.delete(body.code ?? '');
    if (body.redirect_uri !== pending.redirectUri) return judge(400, 'wrong_redirect_uri', { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
    if (!body.code_verifier || s256(body.code_verifier) !== pending.challenge) {
      return judge(400, 'wrong_verifier', { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    judge(200, 'issued', issueTokens(pending.identity));
  }

  function deviceUserCode(text: string, response: http.ServerResponse): void {
    const body = JSON.parse(text || '{}') as Record<string, unknown>;
    if (issuer.device.mode === 'not_enabled') return sendJson(response, 404, { error: 'not_found' });
    if (body.client_id !== MOCK_ISSUER_CLIENT_ID) return sendJson(response, 400, { error: 'invalid_client' });
    const deviceAuthId = `dev-${crypto.randomBytes(8).toString('hex')}`;
    const userCode = `${crypto.randomBytes(2).toString('hex')}-${crypto.randomBytes(2).toString('hex')}`.toUpperCase();
    const pendingLeft = issuer.device.mode === 'never_approved' ? Number.POSITIVE_INFINITY : issuer.device.pendingPolls;
    deviceSessions.set(deviceAuthId, { userCode, pendingLeft, verifier: crypto.randomBytes(32).toString('base64url') });
    sendJson(response, 200, { device_auth_id: deviceAuthId, user_code: userCode, interval: issuer.device.interval });
  }

  function deviceToken(text: string, response: http.ServerResponse): void {
    const body = JSON.parse(text || '{}') as Record<string, unknown>;
    issuer.devicePolls.push(body);
    const session = typeof body.device_auth_id === 'string' ? deviceSessions.get(body.device_auth_id) : undefined;
    if (!session || body.user_code !== session.userCode) return sendJson(response, 404, { error: 'unknown_device_code' });
    if (session.pendingLeft > 0) {
      session.pendingLeft -= 1;
      return sendJson(response, 403, { error: 'authorization_pending' });
    }
    deviceSessions.delete(body.device_auth_id as string);
    const code = `devcode-${crypto.randomBytes(12).toString('hex')}`;
    const challenge = s256(session.verifier);
    codes.set(code, { challenge, redirectUri: `${issuer.url}/deviceauth/callback`, identity: { ...issuer.identity } });
    sendJson(response, 200, { authorization_code: code, code_challenge: challenge, code_verifier: session.verifier });
  }

  async function route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', issuer.url);
    const text = await readBody(request);
    const key = `${request.method} ${url.pathname}`;
    if (key === 'GET /oauth/authorize') return authorize(url, response);
    if (key === 'POST /oauth/token') return exchange(request.headers['content-type'] ?? '', text, response);
    if (key === 'POST /api/accounts/deviceauth/usercode') return deviceUserCode(text, response);
    if (key === 'POST /api/accounts/deviceauth/token') return deviceToken(text, response);
    sendJson(response, 404, { error: 'not_found', error_description: key });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return issuer;
}
