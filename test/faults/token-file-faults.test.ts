/**
 * Token files that go wrong under a running daemon: deleted, truncated (at start and in place), unreadable,
 * replaced while a refresh is in flight (by a new login, or by garbage), a lock left by a process that died, and an
 * auth_dir the daemon cannot write. Each ends in a clear state in /api/admin/credentials, no refresh token is
 * spent for nothing, and no good file is overwritten (bytes compared).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildForChildProcess, builtPath } from '../helpers/child-build.js';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { MockOAuthServer, type IssuedTokens } from '../helpers/mock-oauth.js';
import { waitFor } from './fault-kit.js';

let codex: MockCodex;
let oauth: MockOAuthServer;
const daemons: TestDaemon[] = [];

beforeAll(async () => {
  codex = await startMockCodex();
  oauth = await MockOAuthServer.start({ now: () => Date.now() });
});
afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    // A test may leave a directory the daemon cannot write; the cleanup must still be able to remove it.
    fs.chmodSync(path.join(daemon.home, 'auth', 'codex'), 0o700);
    await daemon.stop();
  }
});
afterAll(async () => {
  await codex?.close();
  await oauth?.close();
});

/** A token file in proxycast's flat OAuth format. */
function tokenFileText(tokens: IssuedTokens): string {
  const expiresAt = new Date(Date.now() + tokens.expires_in * 1000).toISOString();
  return `${JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token, id_token: tokens.id_token, expires_at: expiresAt, token_type: 'Bearer' }, null, 2)}\n`;
}

interface Rig {
  daemon: TestDaemon;
  file: string;
  text: string;
  tokens: IssuedTokens;
}

/** A daemon with one OAuth credential `main` whose token file holds live tokens (or `text` when given). */
async function startRig(options: { text?: (good: string) => string; mode?: number } = {}): Promise<Rig> {
  const tokens = oauth.issueTokens();
  const good = tokenFileText(tokens);
  const text = options.text ? options.text(good) : good;
  const home = makeTempHome({
    'config.yaml': [
      'auth_dir: ~/auth',
      'codex:',
      '  import_cli: false',
      `  chatgpt_base_url: ${codex.baseUrl}`,
      `  oauth_issuer: ${oauth.issuer}`,
      'credential_pool:',
      '  codex:',
      '    - { id: main, token_file: codex/main.json }',
      '',
    ].join('\n'),
    'auth/codex/main.json': text,
  });
  const file = path.join(home, 'auth', 'codex', 'main.json');
  if (options.mode !== undefined) fs.chmodSync(file, options.mode);
  const daemon = await startTestDaemon({ home, clock: new FakeClock(Date.now()) });
  daemons.push(daemon);
  return { daemon, file, text, tokens };
}

interface View {
  id: string;
  state: string;
  reason: string | null;
  last_error: string | null;
  last_refresh_error?: string | null;
}

async function view(daemon: TestDaemon): Promise<View> {
  const response = await fetch(`${daemon.url}/api/admin/credentials`);
  expect(response.status).toBe(200);
  const list = (await response.json()) as View[];
  expect(list).toHaveLength(1);
  return list[0]!;
}

async function refreshNow(daemon: TestDaemon): Promise<{ status: number; body: { error?: { code: string; message: string } } & Partial<View> }> {
  const response = await fetch(`${daemon.url}/api/admin/credentials/main/refresh`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } & Partial<View> };
}

async function chat(daemon: TestDaemon, text = 'hello'): Promise<{ status: number; body: string }> {
  const response = await fetch(`${daemon.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: text }] }),
  });
  return { status: response.status, body: await response.text() };
}

/** The bearer token the mock Codex backend got on its latest /responses call. */
const lastBearer = () => codex.responsesCalls().at(-1)?.headers.authorization?.replace(/^Bearer /, '');

/** True when this process can read a file it chmod-ed to 000 (it runs as root, as CI does). */
function readsDespiteMode000(file: string): boolean {
  try {
    fs.readFileSync(file);
    return true;
  } catch {
    return false;
  }
}

describe('a token file that goes wrong', () => {
  it('deleted: served from memory until a refresh is due, then needs_login naming the file; nothing spent, nothing recreated; a new login heals it', async () => {
    const rig = await startRig();
    fs.rmSync(rig.file);
    expect((await chat(rig.daemon, 'after delete')).status).toBe(200);
    const calls = oauth.refreshCalls;

    const refreshed = await refreshNow(rig.daemon);
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error?.code).toBe('credential_needs_login');
    expect(refreshed.body.error?.message).toContain("'main'");
    const state = await view(rig.daemon);
    expect(state.state).toBe('needs_login');
    expect(state.reason).toContain(`${rig.file} does not exist`);
    expect(state.reason).toContain('proxycast login');
    expect(oauth.refreshCalls).toBe(calls);
    expect(fs.existsSync(rig.file)).toBe(false);
    expect((await chat(rig.daemon)).status).toBe(401);

    const relogin = tokenFileText(oauth.issueTokens());
    fs.writeFileSync(rig.file, relogin, { mode: 0o600 });
    await waitFor(async () => (await view(rig.daemon)).state === 'active', 4_000, 'the new login to be picked up');
    expect((await chat(rig.daemon)).status).toBe(200);
    expect(fs.readFileSync(rig.file, 'utf8')).toBe(relogin);
  });

  it('truncated before the start: invalid with the reason, never rewritten, healed by a good file', async () => {
    const rig = await startRig({ text: (good) => good.slice(0, Math.floor(good.length / 2)) });
    const state = await view(rig.daemon);
    expect(state.state).toBe('invalid');
    expect(state.reason).toMatch(/^token file .*main\.json: not valid JSON/);
    // Nothing in the pool can serve: 503 naming the credential and why.
    const answer = await chat(rig.daemon);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('no_credentials');
    expect(answer.body).toContain('main: invalid (token file');
    expect((await refreshNow(rig.daemon)).status).toBe(401);
    expect(fs.readFileSync(rig.file, 'utf8')).toBe(rig.text);

    fs.writeFileSync(rig.file, tokenFileText(rig.tokens));
    await waitFor(async () => (await view(rig.daemon)).state === 'active', 4_000, 'the repaired file to be picked up');
    expect((await chat(rig.daemon)).status).toBe(200);
  });

  it('truncated in place while serving: the refresh sends nothing, marks it invalid, and leaves the bytes as they are', async () => {
    const rig = await startRig();
    const half = rig.text.slice(0, 40);
    fs.writeFileSync(rig.file, half);
    const calls = oauth.refreshCalls;
    const refreshed = await refreshNow(rig.daemon);
    expect(refreshed.status).toBe(401);
    const state = await view(rig.daemon);
    expect(state.state).toBe('invalid');
    expect(state.reason).toContain('not valid JSON');
    expect(state.reason).toContain('never overwritten');
    expect(oauth.refreshCalls).toBe(calls);
    expect(fs.readFileSync(rig.file, 'utf8')).toBe(half);
  });

  it('unreadable (mode 000): invalid with EACCES, or, for root, which reads it anyway, served as usual', async () => {
    const rig = await startRig({ mode: 0o000 });
    const state = await view(rig.daemon);
    if (readsDespiteMode000(rig.file)) {
      expect(state.state).toBe('active');
      expect((await chat(rig.daemon)).status).toBe(200);
    } else {
      expect(state.state).toBe('invalid');
      expect(state.reason).toContain('cannot be read (EACCES)');
      expect((await chat(rig.daemon)).status).toBe(503);
    }
    fs.chmodSync(rig.file, 0o600);
    expect(fs.readFileSync(rig.file, 'utf8')).toBe(rig.text);
  });

  it('replaced by a new login while a refresh is in flight: the new login wins, its bytes untouched, and it is what gets sent', async () => {
    const rig = await startRig();
    const newLogin = tokenFileText(oauth.issueTokens());
    oauth.beforeNextAnswer(async () => fs.writeFileSync(rig.file, newLogin));
    const refreshed = await refreshNow(rig.daemon);
    expect(refreshed.status).toBe(200);
    expect(fs.readFileSync(rig.file, 'utf8')).toBe(newLogin);
    expect((await view(rig.daemon)).state).toBe('active');
    expect((await chat(rig.daemon)).status).toBe(200);
    expect(lastBearer()).toBe((JSON.parse(newLogin) as { access_token: string }).access_token);
  });

  it('replaced by garbage while a refresh is in flight: the garbage is not overwritten, the fresh tokens serve from memory', async () => {
    const rig = await startRig();
    oauth.beforeNextAnswer(async () => fs.writeFileSync(rig.file, 'not json at all'));
    const refreshed = await refreshNow(rig.daemon);
    expect(refreshed.status).toBe(200);
    expect(fs.readFileSync(rig.file, 'utf8')).toBe('not json at all');
    expect(rig.daemon.logs()).toContain('refreshed tokens could not be written back; kept in memory');
    expect((await chat(rig.daemon)).status).toBe(200);
    expect(lastBearer()).not.toBe(rig.tokens.access_token);
  });

  it('a lock left by a process that died is taken over: the refresh goes ahead and the lock is gone', async () => {
    const rig = await startRig();
    // A real process takes the lock the way proxycast does and is killed holding it.
    const locker = spawnSync(process.execPath, ['-e', `require('proper-lockfile').lockSync(${JSON.stringify(rig.file)}, { realpath: false }); process.kill(process.pid, 'SIGKILL')`], { cwd: REPO, timeout: 10_000 });
    expect(locker.signal).toBe('SIGKILL');
    expect(fs.existsSync(`${rig.file}.lock`)).toBe(true);
    // Its lock stops being refreshed; ten seconds later it counts as stale. Those seconds are skipped here.
    const longAgo = new Date(Date.now() - 5 * 60_000);
    fs.utimesSync(`${rig.file}.lock`, longAgo, longAgo);
    const calls = oauth.refreshCalls;
    const refreshed = await refreshNow(rig.daemon);
    expect(refreshed.status).toBe(200);
    expect(oauth.refreshCalls).toBe(calls + 1);
    expect(fs.existsSync(`${rig.file}.lock`)).toBe(false);
    const onDisk = JSON.parse(fs.readFileSync(rig.file, 'utf8')) as { access_token: string };
    expect(onDisk.access_token).not.toBe(rig.tokens.access_token);
    expect((await view(rig.daemon)).state).toBe('active');
    expect((await chat(rig.daemon)).status).toBe(200);
    expect(lastBearer()).toBe(onDisk.access_token);
  });

  it('an auth_dir it cannot write: no refresh is sent (the lock cannot be taken), the file is untouched, the failure is shown; root writes anyway', async () => {
    const rig = await startRig();
    const dir = path.dirname(rig.file);
    fs.chmodSync(dir, 0o500);
    const probe = path.join(dir, '.probe');
    let writable = true;
    try {
      fs.writeFileSync(probe, 'x');
      fs.rmSync(probe);
    } catch {
      writable = false;
    }
    const calls = oauth.refreshCalls;
    const refreshed = await refreshNow(rig.daemon);
    if (writable) {
      expect(refreshed.status).toBe(200);
      expect(oauth.refreshCalls).toBe(calls + 1);
      expect(fs.readFileSync(rig.file, 'utf8')).not.toBe(rig.text);
    } else {
      // The access token is still good: the credential serves on, and says why its refresh failed.
      expect(oauth.refreshCalls).toBe(calls);
      expect(fs.readFileSync(rig.file, 'utf8')).toBe(rig.text);
      const state = await view(rig.daemon);
      expect(state.state).toBe('active');
      expect(state.last_refresh_error).toContain('could not lock');
      expect((await chat(rig.daemon)).status).toBe(200);
    }
    expect((await view(rig.daemon)).state).toBe('active');
  });
});

/**
 * Root reads a mode-000 file and writes into a mode-500 directory, so under root (as in CI) the cases above can only
 * show what root sees. Here the same two faults run against the real daemon in a child process as `nobody`, where
 * the modes bind.
 */
const NOBODY = 65534;
const CHILD = 'test/faults/children/daemon-child.ts';
const REPO = path.resolve(import.meta.dirname, '..', '..');

/** Root that may run a process as nobody, which can read this checkout's node_modules (not so in every CI box). */
function canRunAsNobody(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(REPO, 'node_modules', 'undici'))})`], { uid: NOBODY, gid: NOBODY, cwd: os.tmpdir(), timeout: 10_000 });
  return probe.status === 0;
}
const asRoot = canRunAsNobody();

describe.runIf(asRoot)('the same file faults for a daemon that is not root (root runs it as nobody)', () => {
  let buildDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    buildDir = await buildForChildProcess([CHILD]);
    fs.chmodSync(buildDir, 0o755);
    // The admin page's files are looked up beside the code.
    fs.symlinkSync(path.join(REPO, 'ui'), path.join(buildDir, 'ui'), 'dir');
  }, 30_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
  });

  function chownTree(dir: string): void {
    fs.chownSync(dir, NOBODY, NOBODY);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) chownTree(full);
      else fs.chownSync(full, NOBODY, NOBODY);
    }
  }

  /** Starts the child daemon as nobody on a home prepared by `prepare`; resolves with its URL. */
  async function startAsNobody(prepare: (file: string) => void): Promise<{ url: string; file: string; text: string; stderr: () => string }> {
    const tokens = oauth.issueTokens();
    const text = tokenFileText(tokens);
    const home = makeTempHome({
      'config.yaml': `auth_dir: ~/auth\ncodex:\n  import_cli: false\n  chatgpt_base_url: ${codex.baseUrl}\n  oauth_issuer: ${oauth.issuer}\ncredential_pool:\n  codex:\n    - { id: main, token_file: codex/main.json }\n`,
      'auth/codex/main.json': text,
    });
    chownTree(home);
    const file = path.join(home, 'auth', 'codex', 'main.json');
    prepare(file);
    const child = spawn(process.execPath, [builtPath(buildDir, CHILD)], { uid: NOBODY, gid: NOBODY, env: { HOME: home, PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child daemon did not start: ${stderr}`)), 15_000);
      readline.createInterface({ input: child.stdout! }).once('line', (first) => {
        clearTimeout(timer);
        resolve(first);
      });
      child.once('exit', (code) => reject(new Error(`the child daemon exited (${code}): ${stderr}`)));
    });
    return { url: (JSON.parse(line) as { url: string }).url, file, text, stderr: () => stderr };
  }

  async function childView(url: string): Promise<View> {
    const list = (await (await fetch(`${url}/api/admin/credentials`)).json()) as View[];
    return list[0]!;
  }

  it('unreadable (mode 000): invalid, saying EACCES; the file untouched', async () => {
    const child = await startAsNobody((file) => fs.chmodSync(file, 0o000));
    const state = await childView(child.url);
    expect(state.state).toBe('invalid');
    expect(state.reason).toContain('cannot be read (EACCES)');
    const answer = await fetch(`${child.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] }) });
    expect(answer.status).toBe(503);
    expect(fs.readFileSync(child.file, 'utf8')).toBe(child.text);
  });

  it('an auth_dir it cannot write: no refresh is sent, at once, the file is untouched, and the view says why', async () => {
    const child = await startAsNobody((file) => fs.chmodSync(path.dirname(file), 0o500));
    const calls = oauth.refreshCalls;
    const started = Date.now();
    const response = await fetch(`${child.url}/api/admin/credentials/main/refresh`, { method: 'POST' });
    const elapsed = Date.now() - started;
    const state = (await response.json()) as View;
    expect(oauth.refreshCalls).toBe(calls);
    expect(fs.readFileSync(child.file, 'utf8')).toBe(child.text);
    expect(state.state).toBe('active');
    expect(state.last_refresh_error).toContain('EACCES');
    expect((await childView(child.url)).last_refresh_error).toContain('EACCES');
    expect(elapsed).toBeLessThan(2_000);
  });
});
