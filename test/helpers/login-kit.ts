import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Agent, request } from 'undici';
import { runLoginCommand, type LoginCommandOptions } from '../../src/commands/login.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { FakeClock } from './daemon.js';
import type { MockIssuer } from './mock-issuer.js';

/** Binds 127.0.0.1:`port` and closes again; true when the port was free (proves a login released it). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Two ports that were free a moment ago: the test's stand-ins for 1455 and 1457. */
export async function freePortPair(): Promise<[number, number]> {
  const servers = [net.createServer(), net.createServer()];
  const ports = await Promise.all(
    servers.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)))),
  );
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return [ports[0] ?? 0, ports[1] ?? 0];
}

/** Holds 127.0.0.1:`port` with a server that answers every request 200 (an unrelated program); returns its closer. */
export async function occupyPort(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno');
  });
  await new Promise<void>((resolve) => server.listen({ port, host: '127.0.0.1', exclusive: true }, resolve));
  return () =>
    new Promise<void>((resolve) => {
      sockets.forEach((socket) => socket.destroy());
      server.close(() => resolve());
    });
}

const browserAgent = new Agent({ keepAliveTimeout: 10 });

/** The first hop of the browser: GET the authorize URL and return the Location it redirects to. */
export async function authorizeRedirect(authorizeUrl: string): Promise<string> {
  const response = await request(authorizeUrl, { dispatcher: browserAgent });
  await response.body.text();
  const location = response.headers.location;
  if (response.statusCode !== 302 || typeof location !== 'string') throw new Error(`authorize answered ${response.statusCode}`);
  return location;
}

/** What the test's "browser" saw at the end of the sign-in. */
export interface BrowserVisit {
  callbackUrl: string;
  status: number;
  page: string;
}

/** Plays the browser: authorize (no redirect following), then the Location on the callback server (localhost → 127.0.0.1). */
export async function playBrowser(authorizeUrl: string): Promise<BrowserVisit> {
  const callbackUrl = await authorizeRedirect(authorizeUrl);
  const target = new URL(callbackUrl);
  target.hostname = '127.0.0.1';
  const response = await request(target, { dispatcher: browserAgent });
  return { callbackUrl, status: response.statusCode, page: await response.body.text() };
}

/** A temp HOME whose default auth_dir (~/.proxycast/auth) the login writes into. */
export function makeLoginHome(): { home: string; authDir: string; loginDir: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-login-'));
  const authDir = path.join(home, '.proxycast', 'auth');
  return { home, authDir, loginDir: path.join(authDir, 'codex') };
}

/** The files a login left in auth_dir/codex (none when the directory does not exist). */
export function loginFiles(loginDir: string): string[] {
  return fs.existsSync(loginDir) ? fs.readdirSync(loginDir).filter((name) => name.endsWith('.json')).sort() : [];
}

/** The config a test login runs with: the mock as codex.oauth_issuer, everything else default. */
export function loginConfig(issuer: MockIssuer): Config {
  return configSchema.parse({ codex: { oauth_issuer: issuer.url } });
}

/** Deps with a fake clock, a temp HOME and a silent logger. */
export function loginDeps(home: string, clock: FakeClock): Deps {
  return { clock, homeDir: home, env: { HOME: home }, dispatcher: new Agent({ keepAliveTimeout: 10 }), logger: createLogger({ level: 'silent' }) };
}

/** A running `runLoginCommand` with its streams captured. */
export interface LoginRun {
  exitCode: Promise<number>;
  stdin: PassThrough;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once `pattern` appears in it. */
  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray>;
}

/** Starts `proxycast login` in-process; `overrides` are the flags and seams of the test. */
export function startLoginCommand(base: Pick<LoginCommandOptions, 'config' | 'deps'>, overrides: Partial<LoginCommandOptions>): LoginRun {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    waiters.splice(0).forEach((wake) => wake());
  });
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exitCode = runLoginCommand({ ...base, stdin, stdout, stderr, ...overrides });
  const waitForOutput = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (;;) {
      const match = out.match(pattern);
      if (match) return match;
      const settled = await Promise.race([exitCode.then(() => 'exited' as const), new Promise<'data'>((resolve) => waiters.push(() => resolve('data')))]);
      if (settled === 'exited' && !out.match(pattern)) throw new Error(`login exited before printing ${pattern}: ${out}${err}`);
    }
  };
  return { exitCode, stdin, stdout: () => out, stderr: () => err, waitForOutput };
}

/** The authorize URL as printed: a line of its own that starts with the issuer. */
export function authorizeUrlLine(issuer: MockIssuer): RegExp {
  return new RegExp(`^(${issuer.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/oauth/authorize\\?\\S+)$`, 'm');
}
