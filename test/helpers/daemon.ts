import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Agent } from 'undici';
import type { Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { startDaemon, type Daemon } from '../../src/serve.js';

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public current = Date.parse('2026-12-01T09:00:00Z')) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface TestDaemon extends Daemon {
  home: string;
  clock: FakeClock;
  /** Every log line the daemon wrote, as text. */
  logs(): string;
}

/** A temp HOME with an optional config.yaml and files (paths relative to HOME). */
export function makeTempHome(files: Record<string, string> = {}): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-home-'));
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(home, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: 0o600 });
  }
  return home;
}

/** Starts the real daemon in-process on an ephemeral port, with a temp HOME, a fake clock and captured logs. */
export async function startTestDaemon(options: { home: string; env?: NodeJS.ProcessEnv; clock?: FakeClock; logLevel?: string }): Promise<TestDaemon> {
  const captured: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => captured.push(c.toString('utf8')));
  const clock = options.clock ?? new FakeClock();
  const deps: Deps = {
    clock,
    homeDir: options.home,
    env: { HOME: options.home, CODEX_HOME: path.join(options.home, '.codex'), ...options.env },
    dispatcher: new Agent({ keepAliveTimeout: 1_000 }),
    logger: createLogger({ level: options.logLevel ?? 'debug', destination: sink }),
  };
  const configFile = path.join(options.home, 'config.yaml');
  const daemon = await startDaemon(deps, { configFlag: fs.existsSync(configFile) ? configFile : undefined, cwd: options.home, port: 0 });
  return {
    ...daemon,
    home: options.home,
    clock,
    logs: () => captured.join(''),
    stop: async () => {
      await daemon.stop();
      await deps.dispatcher.close();
      fs.rmSync(options.home, { recursive: true, force: true });
    },
  };
}
