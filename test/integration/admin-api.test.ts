import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const KEY = ['sk', 'admin', 'test', 'abcd1234'].join('-');
let daemon: TestDaemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

async function call(method: string, url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${daemon!.url}${url}`, { method, headers });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('admin API', () => {
  it('lists credentials with masked keys and no secrets, and disable survives a restart', async () => {
    const home = makeTempHome({
      'config.yaml': 'auth_dir: ~/auth\ncredential_pool:\n  codex:\n    - { id: cfg, token_file: codex/cfg.json }\n',
      'auth/codex/cfg.json': JSON.stringify({ api_key: KEY }),
    });
    daemon = await startTestDaemon({ home });
    const list = await call('GET', '/api/admin/credentials');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject([{ id: 'cfg', kind: 'api_key', source: 'config', state: 'active', masked_key: 'sk-...1234' }]);
    expect(JSON.stringify(list.body)).not.toContain(KEY);

    expect((await call('POST', '/api/admin/credentials/cfg/disable')).body).toMatchObject({ id: 'cfg', state: 'disabled', disabled: true });
    await daemon.app.close();
    await daemon.runtime.close();
    daemon = await startTestDaemon({ home });
    expect((await call('GET', '/api/admin/credentials')).body).toMatchObject([{ id: 'cfg', state: 'disabled' }]);
    expect((await call('POST', '/api/admin/credentials/cfg/enable')).body).toMatchObject({ state: 'active' });
  });

  it('removes a login credential with its file, and never deletes the Codex CLI auth.json', async () => {
    const cliAuth = JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: KEY });
    const home = makeTempHome({ 'auth/codex/me.json': JSON.stringify({ api_key: KEY }), '.codex/auth.json': cliAuth, 'config.yaml': 'auth_dir: ~/auth\n' });
    daemon = await startTestDaemon({ home });
    expect(daemon.runtime.pool.list().map((c) => c.id).sort()).toEqual(['codex-cli', 'me']);
    expect((await call('DELETE', '/api/admin/credentials/me')).body).toEqual({ removed: 'me', deletedFile: path.join(home, 'auth/codex/me.json') });
    expect(fs.existsSync(path.join(home, 'auth/codex/me.json'))).toBe(false);
    expect((await call('DELETE', '/api/admin/credentials/codex-cli')).body).toEqual({ removed: 'codex-cli', deletedFile: null });
    expect(fs.readFileSync(path.join(home, '.codex/auth.json'), 'utf8')).toBe(cliAuth);
    await daemon.app.close();
    await daemon.runtime.close();
    daemon = await startTestDaemon({ home });
    expect(daemon.runtime.pool.list()).toHaveLength(0);
    expect((await call('DELETE', '/api/admin/credentials/nope')).status).toBe(404);
  });

  it('refuses cross-origin state changes and non-loopback hosts; admin_key opens it', async () => {
    const home = makeTempHome({ 'auth/codex/me.json': JSON.stringify({ api_key: KEY }), 'config.yaml': 'auth_dir: ~/auth\nserver:\n  admin_key: let-me-in\n' });
    daemon = await startTestDaemon({ home });
    const csrf = await call('POST', '/api/admin/credentials/me/disable', { origin: 'http://evil.example' });
    expect(csrf.status).toBe(403);
    expect(csrf.body).toMatchObject({ error: { code: 'admin_forbidden' } });
    const fetchSite = await call('POST', '/api/admin/credentials/me/disable', { 'sec-fetch-site': 'cross-site' });
    expect(fetchSite.status).toBe(403);
    expect(daemon.runtime.pool.get('me')?.disabled).toBe(false);
    const sameOrigin = await call('POST', '/api/admin/credentials/me/disable', { origin: daemon.url });
    expect(sameOrigin.status).toBe(200);
  });
});
