import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent, ProxyAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwtClaims } from '../../src/credentials/jwt.js';
import { CODEX_CLIENT_ID, refreshAccessToken, RefreshError } from '../../src/credentials/refresh.js';
import { fakeAccessToken } from '../helpers/fake-jwt.js';
import { MockOAuthServer } from '../helpers/mock-oauth.js';

let now = Date.now();
let mock: MockOAuthServer;
let agent: Agent;

beforeEach(async () => {
  now = Date.now();
  mock = await MockOAuthServer.start({ now: () => now });
  agent = new Agent();
});

afterEach(async () => {
  await agent.close();
  await mock.close();
});

/** A minimal CONNECT proxy on loopback that counts the tunnels it opened. */
async function startConnectProxy(): Promise<{ url: string; tunnels: () => number; close: () => Promise<void> }> {
  let tunnels = 0;
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels += 1;
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels: () => tunnels,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('one refresh call to <issuer>/oauth/token', () => {
  it('sends client_id, grant_type and the refresh token, and returns the rotated tokens', async () => {
    const login = mock.issueTokens();
    const tokens = await refreshAccessToken({ issuer: mock.issuer, refreshToken: login.refresh_token, dispatcher: agent, now });
    expect(mock.calls).toHaveLength(1);
    expect(mock.calls[0]?.body).toEqual({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: login.refresh_token });
    expect(mock.calls[0]?.contentType).toContain('application/x-www-form-urlencoded');
    expect(tokens.refreshToken).not.toBe(login.refresh_token);
    expect(tokens.accessToken).not.toBe(login.access_token);
    expect(decodeJwtClaims(tokens.idToken)?.email).toBe('tester@example.test');
    expect(tokens.expiresAt).toBe(Math.min(now + 10 * 24 * 3600 * 1000, (decodeJwtClaims(tokens.accessToken)?.exp as number) * 1000));
  });

  it('checks the id_token against the injected clock, not the wall clock', async () => {
    now = Date.now() + 30 * 24 * 3600 * 1000;
    const login = mock.issueTokens();
    const tokens = await refreshAccessToken({ issuer: mock.issuer, refreshToken: login.refresh_token, dispatcher: agent, now, headers: { originator: 'codex_cli_rs' } });
    expect(tokens.warning).toBeUndefined();
    expect(tokens.idToken).toBeDefined();
    expect(mock.calls[0]?.headers.originator).toBe('codex_cli_rs');
  });

  it('takes the tokens from a bare {access_token, refresh_token} answer that openid-client alone would reject', async () => {
    mock.setSuccessShape('minimal');
    const login = mock.issueTokens();
    const tokens = await refreshAccessToken({ issuer: mock.issuer, refreshToken: login.refresh_token, dispatcher: agent, now });
    expect(tokens.accessToken.split('.')).toHaveLength(3);
    expect(tokens.idToken).toBeUndefined();
    expect(tokens.warning).toMatch(/token_type/);
    expect(tokens.expiresAt).toBe((decodeJwtClaims(tokens.accessToken)?.exp as number) * 1000);
  });

  it('keeps the presented refresh token when the answer carries none, and reads expires_in', async () => {
    const access = fakeAccessToken({ nowMs: now, lifetimeSeconds: 7200 });
    mock.answerNext({ status: 200, body: { access_token: access, token_type: 'Bearer', expires_in: 3600 } });
    const tokens = await refreshAccessToken({ issuer: mock.issuer, refreshToken: 'rt_kept', dispatcher: agent, now });
    expect(tokens.refreshToken).toBe('rt_kept');
    expect(tokens.expiresAt).toBe(now + 3600 * 1000);
  });

  it('fails permanently with the code when the refresh token was already used', async () => {
    const login = mock.issueTokens();
    await refreshAccessToken({ issuer: mock.issuer, refreshToken: login.refresh_token, dispatcher: agent, now });
    const error = await refreshAccessToken({ issuer: mock.issuer, refreshToken: login.refresh_token, dispatcher: agent, now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error).toMatchObject({ kind: 'permanent', status: 401, code: 'refresh_token_reused' });
  });

  it('fails transiently on a 503 and on a refused connection', async () => {
    mock.failTransiently();
    const outage = await refreshAccessToken({ issuer: mock.issuer, refreshToken: 'rt_x', dispatcher: agent, now }).catch((e: unknown) => e);
    expect(outage).toMatchObject({ kind: 'transient', status: 503 });
    const closed = await MockOAuthServer.start({ now: () => now });
    const issuer = closed.issuer;
    await closed.close();
    const refused = await refreshAccessToken({ issuer, refreshToken: 'rt_x', dispatcher: agent, now }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'transient', status: undefined });
    expect((refused as Error).message).toMatch(/could not be reached/);
  });

  it('goes through the dispatcher it is given (a per-credential proxy)', async () => {
    const proxy = await startConnectProxy();
    const viaProxy = new ProxyAgent(proxy.url);
    try {
      const login = mock.issueTokens();
      const tokens = await refreshAccessToken({ issuer: mock.issuer, refreshToken: login.refresh_token, dispatcher: viaProxy, now });
      expect(tokens.accessToken).toBeTruthy();
      expect(proxy.tunnels()).toBe(1);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});
