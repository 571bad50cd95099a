import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import { importCodexCli, type CodexCliImportOptions, type CodexCliImportResult } from '../../src/credentials/codex-cli-import.js';

/** Test helpers for the Codex CLI import: a temp HOME with a .codex in it, fake JWTs, and a read-only check. */

export const DEFAULTS = defaultConfig().codex;

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned JWT built at run time, so no real-looking token is ever committed. */
export function fakeJwt(payload: Record<string, unknown>): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.fake-signature`;
}

/** The id_token / access_token pair of a ChatGPT login, with the `https://api.openai.com/auth` claim. */
export function chatGptTokens(claims: { accountId?: string; email?: string; plan?: string } = {}) {
  const auth: Record<string, string> = {};
  if (claims.accountId) auth.chatgpt_account_id = claims.accountId;
  if (claims.plan) auth.chatgpt_plan_type = claims.plan;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return {
    id_token: fakeJwt({ email: claims.email, 'https://api.openai.com/auth': auth, exp }),
    access_token: fakeJwt({ 'https://api.openai.com/auth': auth, exp }),
    refresh_token: 'rt_test-refresh',
  };
}

export interface TempHome {
  home: string;
  codexHome: string;
  authFile: string;
  configFile: string;
  write(name: string, text: string): void;
  writeJson(name: string, value: unknown): void;
  cleanup(): void;
}

/** A temp HOME holding an empty ~/.codex. */
export function makeTempHome(): TempHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-codex-import-'));
  const codexHome = path.join(home, '.codex');
  fs.mkdirSync(codexHome);
  const write = (name: string, text: string) => fs.writeFileSync(path.join(codexHome, name), text, { mode: 0o600 });
  return {
    home,
    codexHome,
    authFile: path.join(codexHome, 'auth.json'),
    configFile: path.join(codexHome, 'config.toml'),
    write,
    writeJson: (name, value) => write(name, `${JSON.stringify(value, null, 2)}\n`),
    cleanup: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

type Snapshot = Record<string, { bytes: string; mtimeMs: number; mode: number }>;

/** Every entry under dir with its bytes (base64), mtime and mode. */
export function snapshotTree(dir: string): Snapshot {
  const out: Snapshot = {};
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const stat = fs.statSync(full);
      out[path.relative(dir, full)] = { bytes: entry.isDirectory() ? '' : fs.readFileSync(full).toString('base64'), mtimeMs: stat.mtimeMs, mode: stat.mode };
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  const stat = fs.statSync(dir);
  out['.'] = { bytes: '', mtimeMs: stat.mtimeMs, mode: stat.mode };
  return out;
}

/** Runs the import and asserts that nothing under CODEX_HOME changed: same entries, bytes, mtimes and modes. */
export async function importReadOnly(
  home: TempHome,
  options: Partial<CodexCliImportOptions> = {},
): Promise<CodexCliImportResult> {
  const before = snapshotTree(home.codexHome);
  const result = await importCodexCli({ codexHome: home.codexHome, env: {}, config: DEFAULTS, ...options });
  expect(snapshotTree(home.codexHome)).toEqual(before);
  return result;
}
