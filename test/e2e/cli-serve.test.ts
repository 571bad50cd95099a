import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/daemon.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const KEY = ['sk', 'cli', 'e2e', '31415'].join('-');

let upstream: MockOpenAI;

beforeAll(async () => {
  // The real entry point, as `npm start` runs it: build first (npm ci's prepare does the same in CI). tsc emits even
  // when another file has a type error; .ci/run's typecheck is what fails on those.
  await run('npm', ['run', 'build'], { cwd: ROOT }).catch(() => undefined);
  expect(fs.existsSync(CLI)).toBe(true);
  upstream = await startMockOpenAI({ apiKey: KEY });
}, 120_000);
afterAll(() => upstream.close());

/** Starts `proxycast serve` as its own process and resolves with its URL once it logs that it listens. */
function serve(home: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { cwd: home, env: { PATH: process.env.PATH, HOME: home, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`proxycast exited with ${code}: ${output}`)));
  });
}

describe('the proxycast command', () => {
  it('prints its help and version', async () => {
    const help = await run(process.execPath, [CLI, '--help']);
    expect(help.stdout).toContain('Usage: proxycast [command]');
    expect(help.stdout).toContain('login');
    const version = await run(process.execPath, [CLI, '--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('refuses an invalid config, naming the file, the key path and what is expected', async () => {
    const home = makeTempHome({ 'config.yaml': 'routing:\n  rules:\n    - { pattern: "gpt-*", provider: codex, priority: high }\n' });
    const failed = await run(process.execPath, [CLI, 'serve'], { cwd: home, env: { PATH: process.env.PATH, HOME: home } }).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain(`${path.join(home, 'config.yaml')}: routing.rules[0].priority: expected a number`);
  });

  it('serves a home holding only a Codex CLI login, and ends within 5 s of SIGTERM with open streams closed', async () => {
    const home = makeTempHome({
      '.codex/auth.json': JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: KEY }),
      '.codex/config.toml': `model_provider = "local"\n[model_providers.local]\nbase_url = "${upstream.origin}/v1"\n`,
      // Only to get an ephemeral port (the default is 8999); nothing else is configured.
      'elsewhere/port.yaml': 'server:\n  port: 0\n',
    });
    const daemon = await serve(home, { PROXYCAST_CONFIG: path.join(home, 'elsewhere/port.yaml') });
    const answer = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer your-api-key' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] }),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe('echo: Hello!');
    expect(daemon.output()).toContain('imported the Codex CLI login');
    expect(daemon.output()).not.toContain(KEY);

    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const stream = await fetch(`${daemon.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'slow-stream', stream: true, messages: [{ role: 'user', content: words }] }) });
    const reader = stream.body!.getReader();
    await reader.read();
    const exited = new Promise<number | null>((resolve) => daemon.child.once('exit', (code) => resolve(code)));
    const sentAt = performance.now();
    daemon.child.kill('SIGTERM');
    const drained = (async () => {
      for (;;) {
        const { done } = await reader.read().catch(() => ({ done: true }));
        if (done) return;
      }
    })();
    expect(await exited).toBe(0);
    await drained;
    expect(performance.now() - sentAt).toBeLessThan(5_000);
  }, 30_000);
});
