import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const CLI_KEY = ['sk', 'cli', 'login', 'key', '5555'].join('-');

let upstream: MockOpenAI;
let daemon: TestDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await upstream?.close();
});

function snapshot(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    out[name] = { bytes: fs.readFileSync(file, 'base64'), mtimeMs: fs.statSync(file).mtimeMs };
  }
  return out;
}

describe('a home with only the Codex CLI login serves chat with no config.yaml', () => {
  it('imports the API-key login, uses the config.toml provider base_url, and changes nothing under .codex', async () => {
    upstream = await startMockOpenAI({ apiKey: CLI_KEY });
    const home = makeTempHome({
      '.codex/auth.json': JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: CLI_KEY }, null, 2),
      '.codex/config.toml': `model_provider = "mock"\n\n[model_providers.mock]\nname = "Mock"\nbase_url = "${upstream.origin}/v1"\nwire_api = "chat"\n`,
    });
    const before = snapshot(path.join(home, '.codex'));
    daemon = await startTestDaemon({ home });
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const response = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'from the cli login' }] }).withResponse();
    expect(response.data.choices[0]?.message.content).toBe('echo: from the cli login');
    expect(response.response.headers.get('x-proxycast-credential')).toBe('codex-cli');
    const chatCalls = upstream.calls.filter((call) => call.path === '/v1/chat/completions');
    expect(chatCalls).toHaveLength(1);
    expect(chatCalls[0]?.headers.authorization).toBe(`Bearer ${CLI_KEY}`);
    const health = (await (await fetch(`${daemon.url}/health`)).json()) as { credentials: Record<string, number>; total: number };
    expect(health).toMatchObject({ total: 1, credentials: { active: 1 } });
    await expect.poll(() => daemon!.runtime.pool.get('codex-cli')?.health?.ok).toBe(true);
    expect(daemon.logs()).toContain('imported the Codex CLI login');
    expect(daemon.logs()).not.toContain(CLI_KEY);
    expect(snapshot(path.join(home, '.codex'))).toEqual(before);
  });

  it('skips the import when config.yaml already names the same auth.json and base URL, and never doubles on restart', async () => {
    const home = makeTempHome({ '.codex/auth.json': JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: CLI_KEY }) });
    fs.writeFileSync(path.join(home, 'config.yaml'), `credential_pool:\n  codex:\n    - { id: mine, token_file: ${path.join(home, '.codex/auth.json')} }\n`);
    for (let start = 0; start < 3; start += 1) {
      daemon = await startTestDaemon({ home });
      expect(daemon.runtime.pool.list().map((credential) => credential.id)).toEqual(['mine']);
      expect(daemon.logs()).toContain('already in the pool as mine');
      await daemon.app.close();
      await daemon.runtime.close();
      daemon = undefined;
    }
  });

  it('codex.import_cli: false turns the import off', async () => {
    const home = makeTempHome({
      '.codex/auth.json': JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: CLI_KEY }),
      'config.yaml': 'codex:\n  import_cli: false\n',
    });
    daemon = await startTestDaemon({ home });
    expect(daemon.runtime.pool.list()).toHaveLength(0);
  });
});
