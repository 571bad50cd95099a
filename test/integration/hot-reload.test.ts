import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const KEY_A = ['sk', 'reload', 'a', '1111'].join('-');
const KEY_B = ['sk', 'reload', 'b', '2222'].join('-');

let upstream: MockOpenAI;
let daemon: TestDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await upstream?.close();
});

/** Rewrites a file by rename, as editors and our own writer do. */
function replaceFile(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

describe('hot reload without a restart', () => {
  it('keeps the running config on a broken edit, applies a good one', async () => {
    upstream = await startMockOpenAI();
    const home = makeTempHome({
      // Outside auth_dir/codex, where every file is a login credential of its own.
      'config.yaml': 'auth_dir: ~/auth\ncredential_pool:\n  codex:\n    - { id: a, token_file: keys/a.json }\n',
      'auth/keys/a.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }),
      'auth/other/b.json': JSON.stringify({ api_key: KEY_B, api_base_url: upstream.origin }),
    });
    daemon = await startTestDaemon({ home });
    const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const configFile = path.join(home, 'config.yaml');

    replaceFile(configFile, 'auth_dir: ~/auth\nrouting:\n  strategy: sideways\n');
    await expect.poll(() => daemon!.logs().includes('config edit is invalid'), { timeout: 15_000 }).toBe(true);
    expect(daemon.logs()).toContain('routing.strategy');
    const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'still a' }] }).withResponse();
    expect(answer.response.headers.get('x-proxycast-credential')).toBe('a');

    replaceFile(configFile, 'auth_dir: ~/auth\nrouting:\n  strategy: fill-first\ncredential_pool:\n  codex:\n    - { id: b, token_file: other/b.json }\n');
    await expect.poll(() => daemon!.runtime.pool.list().map((c) => c.id).join(','), { timeout: 15_000 }).toBe('b');
    const after = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'now b' }] }).withResponse();
    expect(after.response.headers.get('x-proxycast-credential')).toBe('b');
    expect(upstream.calls.at(-1)?.headers.authorization).toBe(`Bearer ${KEY_B}`);
  });

  it('picks up a new login file and a replaced token file', async () => {
    upstream = await startMockOpenAI();
    const home = makeTempHome({ 'auth/codex/first.json': JSON.stringify({ api_key: KEY_A, api_base_url: upstream.origin }), 'config.yaml': 'auth_dir: ~/auth\ncodex:\n  import_cli: false\n' });
    daemon = await startTestDaemon({ home });
    expect(daemon.runtime.pool.list().map((c) => c.id)).toEqual(['first']);
    fs.writeFileSync(path.join(home, 'auth/codex/second.json'), JSON.stringify({ api_key: KEY_B, api_base_url: upstream.origin }));
    await expect.poll(() => daemon!.runtime.pool.list().map((c) => c.id).sort().join(','), { timeout: 15_000 }).toBe('first,second');

    replaceFile(path.join(home, 'auth/codex/first.json'), JSON.stringify({ api_key: KEY_B, api_base_url: upstream.origin }));
    await expect.poll(() => (daemon!.runtime.pool.get('first')?.secret as { apiKey?: string } | undefined)?.apiKey, { timeout: 15_000 }).toBe(KEY_B);
  });
});
