import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCredentialHealth } from '../../src/credentials/health-check.js';
import type { ApiKeySecret, OAuthSecret } from '../../src/credentials/types.js';

const API_KEY = 'sk-test-health-key-1234';
const ACCESS_TOKEN = 'access-token-test-value-5678';
const apiKey: ApiKeySecret = { kind: 'api_key', apiKey: API_KEY };
const chatGpt: OAuthSecret = { kind: 'oauth', accessToken: ACCESS_TOKEN, refreshToken: 'refresh-token-test-value', accountId: 'acct-42' };

let server: http.Server;
let base: string;
const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
const dispatcher = new Agent();

/** A fake upstream: /api checks a Bearer key, /codex checks what the ChatGPT backend needs, /hang never answers. */
function upstream(request: http.IncomingMessage, response: http.ServerResponse): void {
  seen.push({ url: request.url ?? '', headers: request.headers });
  const url = new URL(request.url ?? '/', 'http://upstream');
  const send = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (url.pathname === '/hang/models') return;
  if (url.pathname === '/api/v1/models') {
    if (request.headers.authorization !== `Bearer ${API_KEY}`) {
      send(401, { error: { message: `Incorrect API key provided: ${request.headers.authorization ?? 'none'}`, type: 'invalid_request_error' } });
      return;
    }
    send(200, { object: 'list', data: [{ id: 'gpt-5.4' }, { id: 'gpt-5.4-mini' }] });
    return;
  }
  if (url.pathname === '/codex/models') {
    const good =
      request.headers.authorization === `Bearer ${ACCESS_TOKEN}` &&
      request.headers['chatgpt-account-id'] === 'acct-42' &&
      request.headers.originator === 'codex_cli_rs' &&
      /^codex_cli_rs\/0\.146\.0 /.test(request.headers['user-agent'] ?? '') &&
      url.searchParams.get('client_version') === '0.146.0';
    if (good) send(200, { models: [{ slug: 'gpt-5.4' }] });
    else send(401, { detail: 'Unauthorized' });
    return;
  }
  send(404, { error: { message: 'no such path' } });
}

beforeAll(async () => {
  server = http.createServer(upstream);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await dispatcher.close();
});

const options = { dispatcher, clientVersion: '0.146.0', timeoutMs: 2000 };

describe('credential health check against a real HTTP server', () => {
  it('is ok for a good API key, sending it as a Bearer token to <base>/models', async () => {
    const result = await checkCredentialHealth({ secret: apiKey, baseUrl: `${base}/api/v1/`, queryParams: { 'api-version': '1' } }, options);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.message).toContain('2 models');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)?.url).toBe('/api/v1/models?api-version=1');
  });

  it('is ok for a ChatGPT login with the Codex headers and client_version', async () => {
    const result = await checkCredentialHealth({ secret: chatGpt, baseUrl: `${base}/codex` }, options);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.message).toContain('1 models');
  });

  it('does not let a provider header replace the credential Authorization', async () => {
    const result = await checkCredentialHealth({ secret: apiKey, baseUrl: `${base}/api/v1`, extraHeaders: { Authorization: 'Bearer sk-test-other-key-0000', 'X-Team': 'blue' } }, options);
    expect(result.ok).toBe(true);
    expect(seen.at(-1)?.headers['x-team']).toBe('blue');
  });

  it('reports a 401 with the upstream words, without the secret', async () => {
    const wrong: ApiKeySecret = { kind: 'api_key', apiKey: 'sk-test-wrong-key-9999' };
    const result = await checkCredentialHealth({ secret: wrong, baseUrl: `${base}/api/v1` }, options);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(result.message).toContain('the API key was refused');
    expect(result.message).toContain('Incorrect API key provided');
    expect(result.message).not.toContain('sk-test-wrong-key-9999');
  });

  it('reports a ChatGPT login the backend refuses', async () => {
    const noAccount: OAuthSecret = { ...chatGpt, accountId: undefined };
    const result = await checkCredentialHealth({ secret: noAccount, baseUrl: `${base}/codex` }, options);
    expect(result).toMatchObject({ ok: false, status: 401 });
    expect(result.message).toContain('login was refused');
    expect(result.message).not.toContain(ACCESS_TOKEN);
  });

  it('gives up after the timeout when the server never answers', async () => {
    const result = await checkCredentialHealth({ secret: apiKey, baseUrl: `${base}/hang` }, { ...options, timeoutMs: 200 });
    expect(result.ok).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.message).toBe(`no answer from ${base} within 200 ms`);
  });

  it('reports a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await checkCredentialHealth({ secret: apiKey, baseUrl: `http://127.0.0.1:${port}/v1` }, options);
    expect(result).toMatchObject({ ok: false, message: `connection refused by http://127.0.0.1:${port}` });
  });

  it('reports a base URL that is not a URL instead of throwing', async () => {
    const result = await checkCredentialHealth({ secret: apiKey, baseUrl: 'not a url' }, options);
    expect(result).toMatchObject({ ok: false, message: 'base URL "not a url" is not a URL' });
  });
});
