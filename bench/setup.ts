/**
 * Everything the benchmark starts: a temp HOME with one API-key and/or one OAuth token file (a fake JWT built at run
 * time, never stored), the mock upstream as a child process, proxycast as a child process (`node dist/src/cli.js
 * serve`, its own event loop, as a user's daemon), and RSS and CPU readings of a child.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built CLI, next to this file's build output (dist/bench → dist/src). */
export const CLI_PATH = path.join(here, '..', 'src', 'cli.js');
const MOCK_PATH = path.join(here, 'mock-upstream.js');
const PROBE_PATH = path.join(here, 'child-probe.js');

export const ACCOUNT_ID = 'acct-bench-0001';
/** Not a real key: the mock accepts any bearer token. */
export const API_KEY = `sk-bench-${crypto.randomBytes(12).toString('hex')}`;

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A fake ChatGPT access token: RS256-looking header, claims with a far `exp` and the account id claim, random "signature". */
export function fakeAccessToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'https://auth.openai.com',
    aud: ['https://api.openai.com/v1'],
    sub: 'user-bench-0001',
    iat: now,
    exp: now + 365 * 24 * 3600,
    'https://api.openai.com/auth': { chatgpt_account_id: ACCOUNT_ID, chatgpt_plan_type: 'plus', chatgpt_user_id: 'user-bench-0001' },
  };
  return `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.${b64url(crypto.randomBytes(32))}`;
}

/** A running mock upstream process. */
export interface MockUpstream {
  origin: string;
  process: ChildProcess;
  stats(): Promise<MockStats>;
  stop(): Promise<void>;
}

/** What the mock reports about itself. */
export interface MockStats {
  rss: number;
  connections: number;
  requests: number;
}

/** Forks bench/mock-upstream.js and waits for its port. */
export async function startMockUpstream(): Promise<MockUpstream> {
  const child = fork(MOCK_PATH, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pinProcess(child.pid, LOAD_CPUS);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mock upstream exited with ${code}`)));
    child.once('message', (message: { port?: number }) => (message.port ? resolve(message.port) : reject(new Error('no port'))));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    process: child,
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (message: { type?: string } & Partial<MockStats>) => {
          if (message.type !== 'stats') return;
          child.off('message', onMessage);
          resolve({ rss: message.rss ?? 0, connections: message.connections ?? 0, requests: message.requests ?? 0 });
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A temp HOME whose config.yaml points proxycast at the mock, with the chosen credentials in auth_dir/codex. */
export function makeBenchHome(origin: string, options: { apiKey: boolean; oauth: boolean; port?: number }): { home: string; configFile: string; accessToken: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-bench-'));
  const authDir = path.join(home, 'auth', 'codex');
  fs.mkdirSync(authDir, { recursive: true, mode: 0o700 });
  const accessToken = fakeAccessToken();
  if (options.apiKey) fs.writeFileSync(path.join(authDir, 'bench-key.json'), JSON.stringify({ api_key: API_KEY, api_base_url: `${origin}/v1` }), { mode: 0o600 });
  if (options.oauth) {
    const file = { access_token: accessToken, refresh_token: `rt_bench_${crypto.randomBytes(16).toString('hex')}`, expires_at: new Date(Date.now() + 365 * 86400_000).toISOString(), token_type: 'Bearer' };
    fs.writeFileSync(path.join(authDir, 'bench-oauth.json'), JSON.stringify(file), { mode: 0o600 });
  }
  const configFile = path.join(home, 'config.yaml');
  fs.writeFileSync(
    configFile,
    [
      'server:',
      '  host: 127.0.0.1',
      `  port: ${options.port ?? 0}`,
      'auth_dir: ~/auth',
      'codex:',
      '  import_cli: false',
      `  chatgpt_base_url: ${origin}/backend-api/codex`,
      `  api_base_url: ${origin}/v1`,
      `  oauth_issuer: ${origin}`, // never called (the token is far from expiry), and loopback if it were
      '',
    ].join('\n'),
  );
  return { home, configFile, accessToken };
}

/** A free loopback port (the child daemon takes its port from config.yaml). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A proxycast child process (`node dist/src/cli.js serve --config …`, HOME = the temp home), ready when /health answers. */
export interface ChildProxy {
  url: string;
  process: ChildProcess;
  rss(): number;
  /** CPU time (user + system) the child has used so far, in ms (from /proc, 10 ms ticks). */
  cpuMs(): number;
  /** A full GC in the child, then its process.memoryUsage() (bench/child-probe.ts). */
  heapAfterGc(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

/** Options of a proxycast child: extra node flags (e.g. --cpu-prof) before the script. */
export interface ChildOptions {
  nodeArgs?: readonly string[];
}

export async function startChildProxy(home: string, configFile: string, port: number, logLevel: string, options: ChildOptions = {}): Promise<ChildProxy> {
  const logFile = fs.openSync(path.join(home, 'proxycast.log'), 'w');
  const probeFile = path.join(home, 'memory-probe.json');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--expose-gc', '--import', pathToFileURL(PROBE_PATH).href, CLI_PATH, 'serve', '--config', configFile], {
    env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: path.join(home, '.codex'), LOG_LEVEL: logLevel, BENCH_PROBE_FILE: probeFile },
    stdio: ['ignore', logFile, logFile],
  });
  pinProcess(child.pid, PROXY_CPUS);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxycast exited with ${child.exitCode}: ${fs.readFileSync(path.join(home, 'proxycast.log'), 'utf8').slice(-2000)}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('proxycast did not answer /health within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    process: child,
    rss: () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = fs.readFileSync(path.join(home, 'proxycast.log'), 'utf8');
        throw new Error(`proxycast exited (${child.exitCode ?? child.signalCode}) during the memory run; its log ends:\n${log.slice(-3000)}`);
      }
      return rssOf(child.pid ?? 0);
    },
    cpuMs: () => cpuMsOf(child.pid ?? 0),
    heapAfterGc: async () => {
      const before = fs.existsSync(probeFile) ? fs.statSync(probeFile).mtimeMs : 0;
      child.kill('SIGUSR2');
      for (let waited = 0; waited < 5_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (fs.existsSync(probeFile) && fs.statSync(probeFile).mtimeMs !== before) return JSON.parse(fs.readFileSync(probeFile, 'utf8')) as NodeJS.MemoryUsage;
      }
      throw new Error('the memory probe in the proxycast child did not answer');
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.closeSync(logFile);
    },
  };
}

/** The resident set size of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** CPU time (utime + stime) of a process in ms, from /proc/<pid>/stat (Linux, USER_HZ = 100). */
export function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * proxycast as its own process with its own event loop, as a user's daemon runs: a temp HOME from makeBenchHome on
 * a free port, `node dist/src/cli.js serve`, logging at `logLevel` to a file in the home. stop() also removes the home.
 */
export async function startBenchDaemon(origin: string, credentials: { apiKey: boolean; oauth: boolean }, logLevel: string, options: ChildOptions = {}): Promise<ChildProxy & { accessToken: string }> {
  const port = await freePort();
  const { home, configFile, accessToken } = makeBenchHome(origin, { ...credentials, port });
  const child = await startChildProxy(home, configFile, port, logLevel, options);
  return {
    ...child,
    accessToken,
    stop: async () => {
      await child.stop();
      removeHome(home);
    },
  };
}

/**
 * CPU placement (BENCH_PIN=0 turns it off): on a machine with two or more cores, the proxy under test (proxycast or
 * the floor) gets core 1 to itself, and the load generator and the mock share core 0, in the direct runs and the
 * proxied runs alike. A user's daemon shares no core with the upstream, which is on OpenAI's side of the network, so
 * a mock and a load generator competing with the proxy for its core would measure the harness, not the proxy.
 */
const pinning = process.env.BENCH_PIN !== '0' && os.cpus().length >= 2;
export const LOAD_CPUS = '0';
export const PROXY_CPUS = '1';

/** Pins every thread of a process (and the threads it starts later) to the given cores; no-op when pinning is off. */
export function pinProcess(pid: number | undefined, cpus: string): void {
  if (!pinning || pid === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** Whether the run pins processes to cores (for the report). */
export function pinningDescription(): string {
  return pinning ? `proxy on core ${PROXY_CPUS}; load generator and mock on core ${LOAD_CPUS}` : 'not pinned';
}

/** Removes a temp home (best effort). */
export function removeHome(home: string): void {
  fs.rmSync(home, { recursive: true, force: true });
}
