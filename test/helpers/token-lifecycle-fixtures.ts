import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { Clock } from '../../src/deps.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { emptyStats, type Credential } from '../../src/credentials/credential.js';
import { TokenManager, type TokenManagerOptions } from '../../src/credentials/token-manager.js';
import { readTokenFile } from '../../src/credentials/token-store.js';
import { MockOAuthServer, type IssuedTokens } from './mock-oauth.js';

/** A clock the test moves by hand. Starts at the real time so openid-client's wall-clock id_token checks pass. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** A fresh temp directory (0700) for one test's token files. */
export async function makeTempDir(prefix = 'proxycast-tokens-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Writes a Codex CLI auth.json (pretty, 0600) for `tokens`, plus `extra` top-level keys and `extraTokenKeys`. */
export async function writeCodexAuthJson(
  file: string,
  tokens: IssuedTokens,
  options: { extra?: Record<string, unknown>; extraTokenKeys?: Record<string, unknown>; lastRefresh?: string } = {},
): Promise<string> {
  const body = {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: { id_token: tokens.id_token, access_token: tokens.access_token, refresh_token: tokens.refresh_token, account_id: 'acct-fake-0001', ...options.extraTokenKeys },
    last_refresh: options.lastRefresh ?? '2026-01-01T00:00:00Z',
    ...options.extra,
  };
  const text = `${JSON.stringify(body, null, 2)}\n`;
  await fs.writeFile(file, text, { mode: 0o600 });
  return text;
}

/** Rewrites a file the way the Codex CLI does: truncate and write in place (no temp file, no rename, no lock). */
export async function rewriteInPlace(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

/** A run-time credential read from `file`, as the pool would build it. */
export async function credentialFromFile(file: string, id = 'codex-test'): Promise<Credential> {
  const read = await readTokenFile(file);
  if (!read.ok) throw new Error(read.reason);
  return {
    id,
    source: 'config',
    tokenFile: file,
    extraHeaders: {},
    queryParams: {},
    disabled: false,
    kind: read.parsed.secret.kind,
    secret: read.parsed.secret,
    file: { format: read.parsed.format, raw: read.parsed.raw, text: read.text },
    state: 'active',
    stats: emptyStats(),
  };
}

/** A config whose token endpoint is the mock's. */
export function configFor(issuer: string, refreshMarginSeconds = 300): Config {
  return configSchema.parse({ codex: { oauth_issuer: issuer, refresh_margin_seconds: refreshMarginSeconds } });
}

/** A logger that drops everything, or one that writes every line into `lines`. */
export function testLogger(lines?: string[]): Logger {
  if (!lines) return createLogger({ level: 'silent' });
  const destination = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
  return createLogger({ level: 'trace', destination });
}

/** Everything one lifecycle test needs: a mock token endpoint, a clock, a temp dir, a dispatcher. */
export interface LifecycleRig {
  mock: MockOAuthServer;
  clock: ManualClock;
  dir: string;
  dispatcher: Agent;
  manager: (overrides?: Partial<TokenManagerOptions>) => TokenManager;
  close: () => Promise<void>;
}

/** Starts the mock and returns factories bound to it; call close() in afterEach. */
export async function startLifecycleRig(options: { refreshMarginSeconds?: number; accessTokenLifetimeSeconds?: number } = {}): Promise<LifecycleRig> {
  const clock = new ManualClock();
  const mock = await MockOAuthServer.start({ now: () => clock.now(), accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds });
  const dir = await makeTempDir();
  const dispatcher = new Agent();
  const config = configFor(mock.issuer, options.refreshMarginSeconds);
  const manager = (overrides: Partial<TokenManagerOptions> = {}): TokenManager =>
    new TokenManager({ clock, logger: testLogger(), getConfig: () => config, dispatcherFor: () => dispatcher, ...overrides });
  const close = async (): Promise<void> => {
    await dispatcher.close();
    await mock.close();
    await fs.rm(dir, { recursive: true, force: true });
  };
  return { mock, clock, dir, dispatcher, manager, close };
}
