/**
 * The real daemon in a process of its own (the fault suite runs it as an unprivileged user when the suite runs as
 * root, so file modes bind). HOME is its home and HOME/config.yaml its config; it listens on port 0, prints
 * {"url":…} on stdout, logs to stderr, and stops on SIGTERM.
 */
import { Agent } from 'undici';
import { createLogger } from '../../../src/logger.js';
import { startDaemon } from '../../../src/serve.js';

const home = process.env.HOME ?? '';
const daemon = await startDaemon(
  {
    clock: { now: () => Date.now() },
    homeDir: home,
    env: process.env,
    dispatcher: new Agent({ keepAliveTimeout: 1_000 }),
    logger: createLogger({ level: 'info', destination: process.stderr }),
  },
  { configFlag: `${home}/config.yaml`, cwd: home, port: 0 },
);
process.stdout.write(`${JSON.stringify({ url: daemon.url })}\n`);
process.once('SIGTERM', () => {
  void daemon.stop().then(() => process.exit(0));
});
