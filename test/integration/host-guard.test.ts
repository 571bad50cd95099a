import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
beforeAll(async () => {
  daemon = await startTestDaemon({ home: makeTempHome() });
});
afterAll(() => daemon.stop());

/** A raw request, so the Host header can be wrong, empty or missing. */
function get(path: string, host: string | undefined): Promise<{ status: number; body: string }> {
  const url = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path, method: 'GET', setHost: false, headers: host === undefined ? {} : { host } },
      (response) => {
        let body = '';
        response.on('data', (c: Buffer) => (body += c.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('with no server.api_keys, only loopback Host names are served (DNS-rebinding guard)', () => {
  it.each([['localhost:8999'], ['127.0.0.1'], ['[::1]:8999'], ['127.5.6.7:1'], ['app.localhost']])('serves Host %s', async (host) => {
    expect((await get('/v1/models', host)).status).toBe(200);
  });

  it.each([['evil.example'], ['192.168.1.5:8999'], [''], [undefined]])('refuses Host %s with 403 forbidden_host', async (host) => {
    const { status, body } = await get('/v1/models', host);
    expect(status).toBe(403);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'forbidden_host', type: 'permission_error' } });
  });

  it('still answers /health for readiness checks', async () => {
    const { status, body } = await get('/health', 'evil.example');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ status: 'degraded', credentials: {} });
  });
});
