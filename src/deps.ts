import os from 'node:os';
import { Agent, type Dispatcher } from 'undici';
import { createLogger, type Logger } from './logger.js';

/** A clock in milliseconds since the epoch; tests pass one they can advance. */
export interface Clock {
  now(): number;
}

/** Everything that reaches outside the process, handed in so tests can replace it. */
export interface Deps {
  clock: Clock;
  homeDir: string;
  env: NodeJS.ProcessEnv;
  /** The undici dispatcher for upstream calls of credentials without a proxy_url. */
  dispatcher: Dispatcher;
  logger: Logger;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The real side effects; only main/cli call this. */
export function createSystemDeps(options: { logLevel?: string; logDestination?: NodeJS.WritableStream } = {}): Deps {
  const env = process.env;
  return {
    clock: systemClock,
    homeDir: env.HOME && env.HOME.length > 0 ? env.HOME : os.homedir(),
    env,
    dispatcher: new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1, connect: { timeout: 10_000 } }),
    logger: createLogger({ level: options.logLevel ?? env.LOG_LEVEL ?? 'info', destination: options.logDestination }),
  };
}
