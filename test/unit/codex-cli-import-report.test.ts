import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatImportReport, importReportJson } from '../../src/commands/import-report.js';
import { chatGptTokens, importReadOnly, makeTempHome, type TempHome } from './codex-cli-import-home.js';

let home: TempHome;
beforeEach(() => {
  home = makeTempHome();
});
afterEach(() => home.cleanup());

describe('proxycast import report', () => {
  it('lists an API key masked, with its file, base URL and health, and never the key', async () => {
    home.writeJson('auth.json', { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' });
    home.write('config.toml', 'model_provider = "gateway"\n[model_providers.gateway]\nbase_url = "https://gateway.example.com/v1"\nenv_key = "GATEWAY_KEY"\n');
    const result = await importReadOnly(home, { env: {} });
    const health = { 'codex-cli': { ok: false, status: 401, message: '401 from gateway.example.com: the API key was refused', latencyMs: 12 } };
    const text = formatImportReport(result, health);
    expect(text).toContain(`Codex CLI import from ${home.codexHome} (provider gateway, store file)`);
    expect(text).toContain(`codex-cli  api_key  from ${home.authFile}`);
    expect(text).toContain('base URL https://api.openai.com/v1  provider gateway');
    expect(text).toContain('key sk-...abcd');
    expect(text).toContain('note: model_provider "gateway" takes its key from $GATEWAY_KEY');
    expect(text).toContain('health check FAILED (kept in the pool): 401 from gateway.example.com');
    expect(text).toContain('Skipped 1:\n  $GATEWAY_KEY (env_key of model_provider "gateway"): GATEWAY_KEY is not set');
    expect(text).not.toContain('sk-test-key-abcd');
  });

  it('gives the same facts as JSON, with account details for a ChatGPT login', async () => {
    home.writeJson('auth.json', { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: chatGptTokens({ accountId: 'acct-9', email: 'ada@example.com', plan: 'pro' }) });
    const result = await importReadOnly(home);
    const json = importReportJson(result);
    expect(json).toMatchObject({ codex_home: home.codexHome, provider: 'openai', profile: null, skipped: [], warnings: [] });
    expect(json.imported).toEqual([
      expect.objectContaining({
        id: 'codex-cli',
        kind: 'oauth',
        source: 'codex-cli',
        origin: 'auth.json',
        token_file: home.authFile,
        email: 'ada@example.com',
        account_id: 'acct-9',
        plan_type: 'pro',
        masked_key: null,
        health: null,
      }),
    ]);
    expect(formatImportReport(result)).toContain('account ada@example.com, plan pro');
  });

  it('shows warnings, and says when nothing new was imported', async () => {
    home.write('config.toml', 'cli_auth_credentials_store = "keyring"\n');
    const text = formatImportReport(await importReadOnly(home));
    expect(text).toContain('Imported nothing new.');
    expect(text).toContain('Warnings 1:\n  - no ');
    expect(text).toContain('proxycast login');
  });

  it('masks anything secret-looking that reaches a message', async () => {
    home.writeJson('auth.json', { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' });
    const result = await importReadOnly(home);
    const leaky = { 'codex-cli': { ok: false, message: 'upstream said: Bearer sk-test-leaked-secret-value', latencyMs: 1 } };
    const text = formatImportReport({ ...result, warnings: ['saw rt_test-refresh-token-value in a log'] }, leaky);
    expect(text).not.toContain('sk-test-leaked-secret-value');
    expect(text).not.toContain('rt_test-refresh-token-value');
  });
});
