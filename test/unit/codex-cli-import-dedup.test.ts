import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCodexHome } from '../../src/config/paths.js';
import { effectiveBaseUrl, importedPair, type ExistingCredential } from '../../src/credentials/codex-cli-import.js';
import { readTokenFile } from '../../src/credentials/token-store.js';
import { chatGptTokens, DEFAULTS, importReadOnly, makeTempHome, type TempHome } from './codex-cli-import-home.js';

let home: TempHome;
beforeEach(() => {
  home = makeTempHome();
});
afterEach(() => home.cleanup());

describe('Codex CLI import: duplicates and where it looks', () => {
  it('imports one credential however many times it runs against what it imported before', async () => {
    home.writeJson('auth.json', { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: chatGptTokens({ accountId: 'acct-1' }) });
    const pool: ExistingCredential[] = [];
    for (let start = 0; start < 10; start += 1) {
      const result = await importReadOnly(home, { existing: pool });
      pool.push(...result.credentials.map(importedPair));
      if (start > 0) {
        expect(result.credentials).toEqual([]);
        expect(result.skipped).toEqual([{ what: home.authFile, why: expect.stringContaining('already in the pool as codex-cli') }]);
      }
    }
    expect(pool).toEqual([{ tokenFile: home.authFile, baseUrl: DEFAULTS.chatgpt_base_url, id: 'codex-cli' }]);
  });

  it('skips auth.json when a config.yaml entry already points at the same file and base URL', async () => {
    home.writeJson('auth.json', { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' });
    const read = await readTokenFile(home.authFile);
    if (!read.ok) throw new Error(read.reason);
    const fromConfig = { id: 'codex-main', tokenFile: path.join(home.codexHome, '.', 'auth.json'), baseUrl: effectiveBaseUrl({ secret: read.parsed.secret }, DEFAULTS) };
    const result = await importReadOnly(home, { existing: [fromConfig] });
    expect(result.credentials).toEqual([]);
    expect(result.skipped[0]?.why).toContain('already in the pool as codex-main');
  });

  it('imports the same file again under a new id when its base URL differs', async () => {
    home.writeJson('auth.json', { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' });
    const first = await importReadOnly(home);
    home.write('config.toml', 'model_provider = "gateway"\n[model_providers.gateway]\nbase_url = "https://gateway.example.com/v1"\n');
    const second = await importReadOnly(home, { existing: first.credentials.map(importedPair) });
    expect(second.credentials.map((spec) => [spec.id, spec.baseUrl])).toEqual([['codex-cli-2', 'https://gateway.example.com/v1']]);
  });

  it('deduplicates an env_key credential by its variable and base URL', async () => {
    home.write('config.toml', 'model_provider = "gateway"\n[model_providers.gateway]\nbase_url = "https://gateway.example.com/v1"\nenv_key = "GATEWAY_KEY"\n');
    const env = { GATEWAY_KEY: 'sk-test-env-wxyz' };
    const first = await importReadOnly(home, { env });
    expect(first.credentials.map(importedPair)).toEqual([{ tokenFile: 'env:GATEWAY_KEY', baseUrl: 'https://gateway.example.com/v1', id: 'codex-cli-env' }]);
    const second = await importReadOnly(home, { env, existing: first.credentials.map(importedPair) });
    expect(second.credentials).toEqual([]);
    expect(second.skipped.map((entry) => entry.what)).toEqual(['$GATEWAY_KEY (env_key of model_provider "gateway")']);
  });

  it('reads only auth.json and config.toml', async () => {
    home.writeJson('auth.json', { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' });
    const reads: string[] = [];
    const readFile = async (file: string) => {
      reads.push(file);
      return fs.promises.readFile(file, 'utf8');
    };
    await importReadOnly(home, { readFile });
    expect(reads.sort()).toEqual([home.authFile, home.configFile]);
  });

  it('looks in codex.codex_home before $CODEX_HOME before ~/.codex', async () => {
    const place = (dir: string, key: string) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'auth.json'), JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: key }));
    };
    place(home.codexHome, 'sk-test-home-1111');
    place(path.join(home.home, 'env-codex'), 'sk-test-envh-2222');
    place(path.join(home.home, 'configured-codex'), 'sk-test-conf-3333');
    const env = { CODEX_HOME: path.join(home.home, 'env-codex') };
    const keyFrom = async (configured: string | undefined, processEnv: NodeJS.ProcessEnv) => {
      const codexHome = resolveCodexHome(configured, processEnv, home.home);
      const result = await importReadOnly({ ...home, codexHome }, { codexHome });
      return result.credentials[0]?.maskedKey;
    };
    expect(await keyFrom('~/configured-codex', env)).toBe('sk-...3333');
    expect(await keyFrom(undefined, env)).toBe('sk-...2222');
    expect(await keyFrom(undefined, {})).toBe('sk-...1111');
  });
});
