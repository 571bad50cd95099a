#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { runLoginCommand } from './commands/login.js';
import { createSystemDeps, type Deps } from './deps.js';
import { runStatusCommand } from './commands/status.js';
import { runImportCommand } from './commands/import.js';
import { startDaemon } from './serve.js';
import { packageVersion } from './version.js';

const HELP = `proxycast ${packageVersion()} — serve your OpenAI Codex login to any OpenAI-compatible client

Usage: proxycast [command] [options]

Commands:
  serve            start the daemon (default) on 127.0.0.1:8999
  login            sign in with ChatGPT (browser; --device for a device code; --no-browser to paste the callback URL)
  import           re-run the Codex CLI import (~/.codex/auth.json + config.toml) and print what it found
  status           show each credential's state, expiry, cooldown and quota

Options:
  --config PATH    config file (else $PROXYCAST_CONFIG, ./config.yaml, ~/.proxycast/config.yaml, defaults)
  --device         login: use the device-code flow
  --no-browser     login: do not open a browser; accept a pasted callback URL on stdin
  --id NAME        login: the credential id to save the login under
  --json           import/status: print JSON
  --url URL        status: the running daemon's address (default: the configured host:port)
  -h, --help       show this help
  -v, --version    print the version

Environment: LOG_LEVEL (trace|debug|info|warn|error|fatal), HOME, CODEX_HOME, PROXYCAST_CONFIG.
`;

export interface CliFlags {
  command: string;
  config?: string | undefined;
  device: boolean;
  noBrowser: boolean;
  id?: string | undefined;
  json: boolean;
  url?: string | undefined;
  help: boolean;
  version: boolean;
}

/** Parses argv (without node and the script); throws on an unknown option with a message naming it. */
export function parseCliArgs(argv: string[]): CliFlags {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      device: { type: 'boolean', default: false },
      'no-browser': { type: 'boolean', default: false },
      id: { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  return {
    command: positionals[0] ?? 'serve',
    config: values.config,
    device: values.device,
    noBrowser: values['no-browser'],
    id: values.id,
    json: values.json,
    url: values.url,
    help: values.help,
    version: values.version,
  };
}

async function serve(flags: CliFlags): Promise<void> {
  const deps = createSystemDeps();
  const daemon = await startDaemon(deps, { configFlag: flags.config, cwd: process.cwd() });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => process.exit(0), 4_500);
    hardStop.unref();
    void daemon
      .stop()
      .then(() => deps.dispatcher.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** Runs a one-shot command with the real side effects (logs to stderr at warn, so stdout stays clean). */
async function withDeps(command: (deps: Deps) => Promise<number>): Promise<number> {
  const deps = createSystemDeps({ logLevel: process.env.LOG_LEVEL ?? 'warn' });
  try {
    return await command(deps);
  } finally {
    await deps.dispatcher.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let flags: CliFlags;
  try {
    flags = parseCliArgs(argv);
  } catch (error) {
    process.stderr.write(`proxycast: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  switch (flags.command) {
    case 'serve':
      await serve(flags);
      return -1;
    case 'status':
      return withDeps((deps) => runStatusCommand(deps, { configFlag: flags.config, url: flags.url, json: flags.json, cwd: process.cwd(), stdout: process.stdout }));
    case 'login':
      return withDeps(async (deps) => {
        const loaded = loadConfig({ flag: flags.config, env: deps.env, homeDir: deps.homeDir, cwd: process.cwd() });
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        return runLoginCommand({
          device: flags.device,
          noBrowser: flags.noBrowser,
          id: flags.id,
          config: loaded.config,
          configFile: loaded.file,
          deps,
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
          signal: controller.signal,
        });
      });
    case 'import':
      return withDeps((deps) => runImportCommand(deps, { configFlag: flags.config, json: flags.json, cwd: process.cwd(), stdout: process.stdout }));
    default:
      process.stderr.write(`proxycast: unknown command "${flags.command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof ConfigError ? error.message : (error as Error).message ?? String(error);
    process.stderr.write(`proxycast: ${message}\n`);
    process.exit(1);
  },
);
