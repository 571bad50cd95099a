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
    // Asynchronous: a line per request must not cost a blocking write each. Lines written while one write is in
    // flight leave together in the next; pino flushes what is left when the process exits.
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
  if (level !== options.level) logger.warn({ requested: options.level }, 'unknown LOG_LEVEL; using info');
  return logger;
}
