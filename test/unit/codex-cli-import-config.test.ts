import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envKeySecret, type CodexCliImportResult, type ImportedCredentialSpec } from '../../src/credentials/codex-cli-import.js';
import { chatGptTokens, DEFAULTS, importReadOnly, makeTempHome, type TempHome } from './codex-cli-import-home.js';

let home: TempHome;
beforeEach(() => {
  home = makeTempHome();
});
afterEach(() => home.cleanup());

const chatGptLogin = () => ({ auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: chatGptTokens({ accountId: 'acct-1' }) });
const apiKeyLogin = { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' };

function byId(result: CodexCliImportResult, id: string): ImportedCredentialSpec {
  const spec = result.credentials.find((candidate) => candidate.id === id);
  if (!spec) throw new Error(`no credential ${id} in ${JSON.stringify(result)}`);
  return spec;
}

const gateway = `
model_provider = "gateway"

[model_providers.gateway]
name = "Team gateway"
base_url = "https://gateway.example.com/v1/"
`;

describe('Codex CLI import: config.toml', () => {
  it('sends an API key to the active custom provider base_url', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    home.write('config.toml', gateway);
    const result = await importReadOnly(home);
    expect(result.warnings).toEqual([]);
    expect(byId(result, 'codex-cli')).toMatchObject({ kind: 'api_key', providerId: 'gateway', baseUrl: 'https://gateway.example.com/v1', baseUrlOverride: 'https://gateway.example.com/v1' });
  });

  it('sends a ChatGPT login to the custom provider base_url, noting a missing requires_openai_auth', async () => {
    home.writeJson('auth.json', chatGptLogin());
    home.write('config.toml', gateway);
    const spec = byId(await importReadOnly(home), 'codex-cli');
    expect(spec).toMatchObject({ kind: 'oauth', baseUrl: 'https://gateway.example.com/v1' });
    expect(spec.notes.join('\n')).toContain('requires_openai_auth');

    home.write('config.toml', `${gateway}requires_openai_auth = true\n`);
    const again = byId(await importReadOnly(home), 'codex-cli');
    expect(again.baseUrl).toBe('https://gateway.example.com/v1');
    expect(again.notes).toEqual([]);
  });

  it('lets the active profile choose the provider', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    const text = `model_provider = "gateway"\nprofile = "work"\n\n[profiles.work]\nmodel_provider = "office"\n\n[model_providers.gateway]\nbase_url = "https://gateway.example.com/v1"\n\n[model_providers.office]\nbase_url = "https://office.example.com/api"\n`;
    home.write('config.toml', text);
    const result = await importReadOnly(home);
    expect(result).toMatchObject({ providerId: 'office', profile: 'work' });
    expect(byId(result, 'codex-cli').baseUrl).toBe('https://office.example.com/api');

    home.write('config.toml', text.replace('[profiles.work]', '[profiles.home]'));
    const fallback = await importReadOnly(home);
    expect(byId(fallback, 'codex-cli').baseUrl).toBe('https://gateway.example.com/v1');
    expect(fallback.warnings.join('\n')).toContain('profile "work" has no [profiles.work] table');
  });

  it('imports the env_key of the provider as codex-cli-env and keeps the login on the default upstream', async () => {
    home.writeJson('auth.json', chatGptLogin());
    home.write('config.toml', `${gateway}env_key = "GATEWAY_KEY"\n`);
    const env = { GATEWAY_KEY: 'sk-test-env-wxyz' };
    const result = await importReadOnly(home, { env });
    expect(result.credentials.map((spec) => spec.id)).toEqual(['codex-cli', 'codex-cli-env']);
    expect(byId(result, 'codex-cli')).toMatchObject({ kind: 'oauth', baseUrl: DEFAULTS.chatgpt_base_url, baseUrlOverride: undefined });
    const envSpec = byId(result, 'codex-cli-env');
    expect(envSpec).toMatchObject({ origin: 'env', envVar: 'GATEWAY_KEY', kind: 'api_key', baseUrl: 'https://gateway.example.com/v1', maskedKey: 'sk-...wxyz' });
    expect(JSON.stringify(result)).not.toContain('sk-test-env-wxyz');
    if (envSpec.origin !== 'env') throw new Error('expected an env spec');
    expect(envKeySecret(envSpec, env)).toEqual({ kind: 'api_key', apiKey: 'sk-test-env-wxyz', baseUrl: 'https://gateway.example.com/v1' });
  });

  it('skips an env_key whose variable is not set', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    home.write('config.toml', `${gateway}env_key = "GATEWAY_KEY"\n`);
    const result = await importReadOnly(home, { env: { GATEWAY_KEY: '  ' } });
    expect(result.credentials.map((spec) => spec.id)).toEqual(['codex-cli']);
    expect(result.skipped).toEqual([{ what: '$GATEWAY_KEY (env_key of model_provider "gateway")', why: expect.stringContaining('not set') }]);
  });

  it('carries http_headers, set env_http_headers and query_params, but never an Authorization header', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    const text = `${gateway}http_headers = { "X-Team" = "blue", "Authorization" = "Bearer sk-test-header-9876" }\nenv_http_headers = { "X-Tenant" = "TENANT_ID", "X-Unset" = "NOT_SET" }\nquery_params = { "api-version" = "2025-04-01-preview" }\n`;
    home.write('config.toml', text);
    const result = await importReadOnly(home, { env: { TENANT_ID: 'tenant-7' } });
    expect(byId(result, 'codex-cli')).toMatchObject({
      extraHeaders: { 'X-Team': 'blue', 'X-Tenant': 'tenant-7' },
      queryParams: { 'api-version': '2025-04-01-preview' },
    });
    expect(Object.keys(byId(result, 'codex-cli').extraHeaders)).toEqual(['X-Team', 'X-Tenant']);
    expect(result.warnings.join('\n')).toContain('http_headers.Authorization ignored');
  });

  it('uses OPENAI_BASE_URL for API keys on the built-in openai provider, not for ChatGPT logins', async () => {
    const env = { OPENAI_BASE_URL: 'https://proxy.example.com/v1', OPENAI_ORGANIZATION: 'org-test' };
    home.writeJson('auth.json', apiKeyLogin);
    const apiKey = byId(await importReadOnly(home, { env }), 'codex-cli');
    expect(apiKey).toMatchObject({ baseUrl: 'https://proxy.example.com/v1', extraHeaders: { 'OpenAI-Organization': 'org-test' } });

    home.writeJson('auth.json', chatGptLogin());
    expect(byId(await importReadOnly(home, { env }), 'codex-cli').baseUrl).toBe(DEFAULTS.chatgpt_base_url);
  });

  it('ignores a user entry under the built-in openai id', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    home.write('config.toml', 'model_provider = "openai"\n[model_providers.openai]\nbase_url = "https://elsewhere.example.com/v1"\n');
    const result = await importReadOnly(home);
    expect(byId(result, 'codex-cli').baseUrl).toBe(DEFAULTS.api_base_url);
    expect(result.warnings.join('\n')).toContain('cannot override the built-in openai provider');
  });

  it('accepts the old wire_api = "chat" for API keys and notes it', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    home.write('config.toml', `${gateway}wire_api = "chat"\n`);
    const result = await importReadOnly(home);
    expect(byId(result, 'codex-cli').wireApi).toBe('chat');
    expect(result.warnings.join('\n')).toContain('wire_api = "chat" is deprecated');

    home.writeJson('auth.json', chatGptLogin());
    const oauth = byId(await importReadOnly(home), 'codex-cli');
    expect(oauth.wireApi).toBe('responses');
    expect(oauth.notes.join('\n')).toContain('does not apply to a ChatGPT login');
  });

  it('ignores a config.toml that does not parse, naming the file and line, and imports auth.json alone', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    home.write('config.toml', 'model_provider = "gateway"\n\n[model_providers.gateway\nexperimental_bearer_token = "sk-test-in-toml-5555"\n');
    const result = await importReadOnly(home);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(`${home.configFile} line 3`);
    expect(result.warnings[0]).not.toContain('sk-test-in-toml');
    expect(byId(result, 'codex-cli')).toMatchObject({ providerId: 'openai', baseUrl: DEFAULTS.api_base_url });
  });

  it.each(['keyring', 'auto'])('explains a login kept in the OS keyring (store %s, no auth.json)', async (store) => {
    home.write('config.toml', `cli_auth_credentials_store = "${store}"\n`);
    const result = await importReadOnly(home);
    expect(result.credentials).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('OS keyring');
    expect(result.warnings[0]).toContain('proxycast login');
    expect(result.warnings[0]).toContain(`cli_auth_credentials_store = "file" in ${home.configFile}`);
  });

  it('imports auth.json with the keyring store but warns that it may be old', async () => {
    home.writeJson('auth.json', chatGptLogin());
    home.write('config.toml', 'cli_auth_credentials_store = "keyring"\n');
    const result = await importReadOnly(home);
    expect(result.credentials.map((spec) => spec.id)).toEqual(['codex-cli']);
    expect(result.warnings.join('\n')).toContain('may be an old login');
  });

  it('skips a login that forced_login_method rules out', async () => {
    home.writeJson('auth.json', chatGptLogin());
    home.write('config.toml', 'forced_login_method = "api"\n');
    const result = await importReadOnly(home);
    expect(result.credentials).toEqual([]);
    expect(result.skipped).toEqual([{ what: home.authFile, why: expect.stringContaining('forced_login_method = "api"') }]);
  });

  it('falls back to the built-in provider for an undefined model_provider or a bad base_url', async () => {
    home.writeJson('auth.json', apiKeyLogin);
    home.write('config.toml', 'model_provider = "nowhere"\n');
    const undefinedProvider = await importReadOnly(home);
    expect(byId(undefinedProvider, 'codex-cli').baseUrl).toBe(DEFAULTS.api_base_url);
    expect(undefinedProvider.warnings.join('\n')).toContain('model_provider "nowhere" has no [model_providers.nowhere] table');

    home.write('config.toml', 'model_provider = "gateway"\n[model_providers.gateway]\nbase_url = "ftp://gateway.example.com"\n');
    const badUrl = await importReadOnly(home);
    expect(byId(badUrl, 'codex-cli').baseUrl).toBe(DEFAULTS.api_base_url);
    expect(badUrl.warnings.join('\n')).toContain('base_url is not an http(s) URL');
  });
});
