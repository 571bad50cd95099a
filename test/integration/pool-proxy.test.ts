import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { reloadConfig } from '../../src/config/reload.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { MockOAuthServer } from '../helpers/mock-oauth.js';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { oauthTokenFile } from '../helpers/oauth-home.js';

/** A loopback forward proxy: tunnels CONNECT and forwards absolute-URI requests, counting both per target. */
interface CountingProxy {
  url: string;
  connects: string[];
  forwarded: string[];
  /** Every target it carried, CONNECT or not. */
  targets(): string[];
  close(): Promise<void>;
}

async function startCountingProxy(): Promise<CountingProxy> {
  const connects: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    forwarded.push(target.host);
    const upstream = http.request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    connects.push(req.url ?? '');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    forwarded,
    targets: () => [...connects, ...forwarded],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback SOCKS5 server (no auth, CONNECT only), counting the targets it tunnels to. */
async function startSocks5(): Promise<CountingProxy> {
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    let buffered = Buffer.alloc(0);
    let phase: 'greeting' | 'request' | 'open' = 'greeting';
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (phase === 'greeting' && buffered.length >= 2 && buffered.length >= 2 + buffered[1]!) {
        buffered = buffered.subarray(2 + buffered[1]!);
        phase = 'request';
        client.write(Buffer.from([0x05, 0x00]));
      }
      if (phase !== 'request' || buffered.length < 5) return;
      const type = buffered[3];
      const hostLength = type === 0x01 ? 4 : type === 0x04 ? 16 : 1 + buffered[4]!;
      if (buffered.length < 4 + hostLength + 2) return;
      const host = type === 0x01 ? [...buffered.subarray(4, 8)].join('.') : type === 0x03 ? buffered.subarray(5, 5 + buffered[4]!).toString('latin1') : '::1';
      const port = buffered.readUInt16BE(4 + hostLength);
      const rest = buffered.subarray(4 + hostLength + 2);
      phase = 'open';
      client.off('data', onData);
      connects.push(`${host}:${port}`);
      const upstream = net.connect(port, host, () => {
        client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
        if (rest.length > 0) upstream.write(rest);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `socks5://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    forwarded: [],
    targets: () => [...connects],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface ProxiedRig {
  clock: FakeClock;
  codex: MockCodex;
  oauth: MockOAuthServer;
  proxy: CountingProxy;
  daemon: TestDaemon;
  configFile: string;
  configText: string;
  /** The access token in via's file before the refresh. */
  staleAccessToken: string;
}

/** One credential `via` behind the counting proxy (its access token 60 s from expiry) and one direct credential. */
async function startProxiedRig(kind: 'http' | 'socks5' = 'http'): Promise<ProxiedRig> {
  const clock = new FakeClock();
  const codex = await startMockCodex({ now: () => clock.now(), contentType: 'always' });
  const oauth = await MockOAuthServer.start({ now: () => clock.now(), identity: { accountId: 'acct-via', email: 'via@example.test' } });
  const proxy = kind === 'http' ? await startCountingProxy() : await startSocks5();
  cleanups.push(() => codex.close(), () => oauth.close(), () => proxy.close());
  const live = oauth.issueTokens();
  const via = oauthTokenFile(clock, { lifetimeSeconds: 60, accountId: 'acct-via', email: 'via@example.test', refreshToken: live.refresh_token });
  const direct = oauthTokenFile(clock, { accountId: 'acct-direct', email: 'direct@example.test' });
  const configText = [
    'auth_dir: ~/auth',
    'routing:',
    '  strategy: fill-first',
    'credential_pool:',
    '  codex:',
    `    - { id: via, token_file: keys/via.json, proxy_url: "${proxy.url}" }`,
    '    - { id: direct, token_file: keys/direct.json }',
    'codex:',
    '  import_cli: false',
    `  chatgpt_base_url: ${codex.baseUrl}`,
    `  oauth_issuer: ${oauth.issuer}`,
    '',
  ].join('\n');
  const home = makeTempHome({ 'config.yaml': configText, 'auth/keys/via.json': via.text, 'auth/keys/direct.json': direct.text });
  const daemon = await startTestDaemon({ home, clock });
  cleanups.push(() => daemon.stop());
  return { clock, codex, oauth, proxy, daemon, configFile: path.join(home, 'config.yaml'), configText, staleAccessToken: via.accessToken };
}

async function chat(daemon: TestDaemon, content: string) {
  const response = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content }] }) });
  return { status: response.status, credential: response.headers.get('x-proxycast-credential'), body: (await response.json()) as { choices?: Array<{ message: { content: string } }> } };
}

describe('proxy_url per credential', () => {
  it('sends the chat request and the token refresh of that credential through its proxy, and nothing of the other', async () => {
    const rig = await startProxiedRig();
    const codexHost = new URL(rig.codex.origin).host;
    const oauthHost = new URL(rig.oauth.issuer).host;

    const answer = await chat(rig.daemon, 'through the proxy');
    expect(answer.status).toBe(200);
    expect(answer.credential).toBe('via');
    expect(answer.body.choices?.[0]?.message.content).toBe('echo: through the proxy');
    // The token was 60 s from expiry (inside refresh_margin_seconds): refreshed on use, through the proxy.
    expect(rig.oauth.refreshCalls).toBe(1);
    const [call] = rig.codex.responsesCalls();
    expect(call?.headers['chatgpt-account-id']).toBe('acct-via');
    expect(call?.headers.authorization).not.toBe(`Bearer ${rig.staleAccessToken}`);
    const targets = rig.proxy.targets();
    expect(targets.filter((target) => target === oauthHost)).toHaveLength(1);
    expect(targets.filter((target) => target === codexHost).length).toBeGreaterThanOrEqual(1);
    expect(rig.proxy.connects.length + rig.proxy.forwarded.length).toBe(targets.length);

    // The direct credential's calls never touch the proxy.
    rig.daemon.runtime.pool.get('via')!.disabled = true;
    const before = rig.proxy.targets().length;
    const directAnswer = await chat(rig.daemon, 'no proxy for me');
    expect(directAnswer.credential).toBe('direct');
    expect(rig.proxy.targets().length).toBe(before);
  });

  it('socks5: the chat request and the refresh go through a loopback SOCKS5 proxy', async () => {
    const rig = await startProxiedRig('socks5');
    const answer = await chat(rig.daemon, 'over socks');
    expect(answer.status).toBe(200);
    expect(answer.credential).toBe('via');
    expect(rig.oauth.refreshCalls).toBe(1);
    const targets = rig.proxy.targets();
    expect(targets.filter((target) => target === new URL(rig.oauth.issuer).host)).toHaveLength(1);
    expect(targets.filter((target) => target === new URL(rig.codex.origin).host).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a bad proxy URL as a config error, and a hot reload with one keeps the running config', async () => {
    for (const bad of ['ftp://proxy.example:21', 'not a url', 'socks5://', 'http://']) {
      const text = `credential_pool:\n  codex:\n    - { id: a, token_file: a.json, proxy_url: "${bad}" }\n`;
      expect(() => parseConfigText(text, 'config.yaml'), bad).toThrow(/credential_pool\.codex\[0\]\.proxy_url: expected a proxy URL/);
    }
    for (const good of ['http://127.0.0.1:3128', 'https://user:pass@proxy.example:8443', 'socks5://127.0.0.1:1080']) {
      const text = `credential_pool:\n  codex:\n    - { id: a, token_file: a.json, proxy_url: "${good}" }\n`;
      expect(() => parseConfigText(text, 'config.yaml'), good).not.toThrow();
    }

    const rig = await startProxiedRig();
    fs.writeFileSync(rig.configFile, rig.configText.replace(rig.proxy.url, 'ftp://nowhere:21'));
    expect(await reloadConfig(rig.daemon.runtime)).toBe('rejected');
    expect(rig.daemon.logs()).toContain('config edit is invalid; keeping the running config');
    expect(rig.daemon.logs()).toContain('proxy_url');
    const answer = await chat(rig.daemon, 'still proxied');
    expect(answer.status).toBe(200);
    expect(answer.credential).toBe('via');
    expect(rig.daemon.runtime.pool.get('via')?.proxyUrl).toBe(rig.proxy.url);
  });
});
