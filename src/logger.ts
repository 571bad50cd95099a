import pino from 'pino';
import { REDACT_PATHS } from './redact.js';

export type Logger = pino.Logger;

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** A pino logger with every secret path redacted; an unknown LOG_LEVEL falls back to info with a warning. */
export function createLogger(options: { level: string; destination?: NodeJS.WritableStream | undefined }): Logger {
  const level = LEVELS.has(options.level) ? options.level : 'info';
  const logger = pino(
    {
      level,
      base: { name: 'proxycast' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Asynchronous and batched: a line per request must not cost a write each. Lines leave in writes of 4 kB or
    // every 200 ms, whichever comes first; pino flushes what is left when the process exits.
    options.destination ?? pino.destination({ dest: 2, sync: false, minLength: 4096, periodicFlush: 200 }),
  );
  if (level !== options.level) logger.warn({ requested: options.level }, 'unknown LOG_LEVEL; using info');
  return logger;
}
