import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium, type Browser } from 'playwright-core';
import { Agent } from 'undici';
import type { Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { startDaemon, type Daemon } from '../../src/serve.js';
import type { FakeClock } from '../helpers/daemon.js';

/** Debian's chromium (installed by .ci/run); the browser tests need it. */
export const CHROMIUM = '/usr/bin/chromium';

/** True when the browser is there; when it is not, says so loudly, once per test file. */
export function chromiumAvailable(testFile: string): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  console.warn(
    `\n*** ${testFile} is SKIPPED: ${CHROMIUM} is missing, so the admin page is not tested in a browser. ` +
      'Install Debian\'s chromium (apt-get install chromium; .ci/run does) to run it. ***\n',
  );
  return false;
}

/** Headless Chromium (Playwright gives it a fresh temp profile) with nothing talking to the network on its own. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** A daemon on port 0 whose stop() leaves HOME in place, so the next one can start on the same HOME (a restart). */
export interface PageDaemon extends Pick<Daemon, 'url' | 'runtime'> {
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the real daemon in-process with `home`'s config.yaml and the test's clock; port 0 unless given (a restart). */
export async function startPageDaemon(home: string, clock: FakeClock, port = 0): Promise<PageDaemon> {
  const captured: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => captured.push(chunk.toString('utf8')));
  const deps: Deps = {
    clock,
    homeDir: home,
    env: { HOME: home, CODEX_HOME: path.join(home, '.codex') },
    dispatcher: new Agent({ keepAliveTimeout: 1_000 }),
    logger: createLogger({ level: 'debug', destination: sink }),
  };
  const daemon = await startDaemon(deps, { configFlag: path.join(home, 'config.yaml'), cwd: home, port });
  return {
    url: daemon.url,
    runtime: daemon.runtime,
    logs: () => captured.join(''),
    stop: async () => {
      await daemon.stop();
      await deps.dispatcher.close();
    },
  };
}
