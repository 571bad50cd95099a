import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeAccessToken, fakeIdToken, fakeRefreshToken, type FakeIdentity } from './fake-jwt.js';

/** The Codex CLI's OAuth client id, which the mock expects in every refresh. */
export const MOCK_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** One POST /oauth/token the mock received, and what it answered. */
export interface TokenCall {
  contentType: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, string>;
  status: number;
  outcome: 'issued' | 'reused' | 'unknown_token' | 'bad_request' | 'scripted';
}

/** A token pair as the endpoint returns it. */
export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** A scripted answer for the next refresh calls: status plus JSON body (a failure, or an unusual success). */
export interface ScriptedAnswer {
  status: number;
  body: unknown;
}

/** How the mock answers a successful refresh; "minimal" is the Codex test mock's {access_token, refresh_token}. */
export type SuccessShape = 'full' | 'minimal';

export interface MockOAuthOptions {
  /** The fake "now" (ms) the issued tokens' iat/exp come from; tests share it with the manager's clock. */
  now: () => number;
  accessTokenLifetimeSeconds?: number;
  identity?: FakeIdentity;
}

/**
 * A real loopback OAuth token endpoint (node:http on 127.0.0.1, port 0). Refresh tokens are single-use and rotate: a
 * reused one gets 401 {"error":{"code":"refresh_token_reused"}}. Accepts form-encoded and JSON bodies and records
 * every call.
 */
export class MockOAuthServer {
  readonly calls: TokenCall[] = [];
  /** Refresh tokens that may still be used once. */
  private readonly live = new Set<string>();
  /** Refresh tokens already spent (rotated away). */
  private readonly spent = new Set<string>();
  private readonly scriptedAnswers: ScriptedAnswer[] = [];
  private shape: SuccessShape = 'full';
  private delayMs = 0;
  private hook: ((body: Record<string, string>) => Promise<void>) | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
    private readonly options: MockOAuthOptions,
  ) {}

  /** Starts the endpoint on an ephemeral loopback port. */
  static async start(options: MockOAuthOptions): Promise<MockOAuthServer> {
    let mock: MockOAuthServer | undefined;
    const server = http.createServer((req, res) => {
      void mock?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    mock = new MockOAuthServer(server, `http://127.0.0.1:${port}`, options);
    return mock;
  }

  /** The number of grant_type=refresh_token calls received (whatever their outcome). */
  get refreshCalls(): number {
    return this.calls.filter((call) => call.body.grant_type === 'refresh_token').length;
  }

  /** Mints a fresh live token pair, as a login would. */
  issueTokens(): IssuedTokens {
    const now = this.options.now();
    const lifetime = this.options.accessTokenLifetimeSeconds ?? 10 * 24 * 3600;
    const tokens: IssuedTokens = {
      access_token: fakeAccessToken({ nowMs: now, lifetimeSeconds: lifetime, identity: this.options.identity }),
      refresh_token: fakeRefreshToken(),
      id_token: fakeIdToken({ nowMs: now, issuer: this.issuer, clientId: MOCK_CLIENT_ID, identity: this.options.identity }),
      token_type: 'Bearer',
      expires_in: lifetime,
    };
    this.live.add(tokens.refresh_token);
    return tokens;
  }

  /** Makes the next `count` refresh calls answer `answer` instead of rotating (the token is not spent). */
  answerNext(answer: ScriptedAnswer, count = 1): void {
    for (let i = 0; i < count; i += 1) this.scriptedAnswers.push(answer);
  }

  /** Same as answerNext, for failures. */
  failNext(failure: ScriptedAnswer, count = 1): void {
    this.answerNext(failure, count);
  }

  /**
   * Runs `hook` while a refresh call is held, before it is answered: a test can play another program that writes
   * the token file during our network call. Cleared after one call.
   */
  beforeNextAnswer(hook: (body: Record<string, string>) => Promise<void>): void {
    this.hook = hook;
  }

  /** The next `count` refresh calls answer 503 (a transient outage). */
  failTransiently(count = 1): void {
    this.failNext({ status: 503, body: { error: { code: 'service_unavailable', message: 'try again later' } } }, count);
  }

  /** The next refresh call answers 401 with the given error code (a permanent failure). */
  failPermanently(code = 'refresh_token_expired'): void {
    this.failNext({ status: 401, body: { error: { code, message: `Your refresh token could not be used (${code}).` } } });
  }

  /** Revokes a refresh token, as a new login in the Codex CLI does to the old one. */
  revoke(refreshToken: string): void {
    this.live.delete(refreshToken);
    this.spent.add(refreshToken);
  }

  setSuccessShape(shape: SuccessShape): void {
    this.shape = shape;
  }

  /** Holds every answer this long, so concurrent callers really overlap the network call. */
  setResponseDelay(ms: number): void {
    this.delayMs = ms;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (req.method !== 'POST' || new URL(req.url ?? '/', this.issuer).pathname !== '/oauth/token') {
      return send(res, 404, { error: 'not_found' });
    }
    const contentType = String(req.headers['content-type'] ?? '');
    const body = parseBody(contentType, text);
    const call: TokenCall = { contentType, headers: req.headers, body, status: 0, outcome: 'bad_request' };
    this.calls.push(call);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const hook = this.hook;
    this.hook = undefined;
    if (hook) await hook(body);
    const answer = this.answer(body, call);
    call.status = answer.status;
    send(res, answer.status, answer.body);
  }

  private answer(body: Record<string, string>, call: TokenCall): ScriptedAnswer {
    if (body.grant_type !== 'refresh_token' || body.client_id !== MOCK_CLIENT_ID || !body.refresh_token) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'expected grant_type=refresh_token, client_id and refresh_token' } };
    }
    const scripted = this.scriptedAnswers.shift();
    if (scripted) {
      call.outcome = 'scripted';
      return scripted;
    }
    const presented = body.refresh_token;
    if (this.spent.has(presented)) {
      call.outcome = 'reused';
      const message = 'Your refresh token has already been used to generate a new access token. Please try signing in again.';
      return { status: 401, body: { error: { code: 'refresh_token_reused', message } } };
    }
    if (!this.live.has(presented)) {
      call.outcome = 'unknown_token';
      return { status: 400, body: { error: 'invalid_grant', error_description: 'unknown refresh token' } };
    }
    this.live.delete(presented);
    this.spent.add(presented);
    call.outcome = 'issued';
    const issued = this.issueTokens();
    if (this.shape === 'minimal') return { status: 200, body: { access_token: issued.access_token, refresh_token: issued.refresh_token } };
    return { status: 200, body: issued };
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(contentType: string, text: string): Record<string, string> {
  if (contentType.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object') return {};
      return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
