import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importCodexCli, type AuthFileCredentialSpec } from '../../src/credentials/codex-cli-import.js';
import { chatGptTokens, DEFAULTS, importReadOnly, makeTempHome, type TempHome } from './codex-cli-import-home.js';

let home: TempHome;
beforeEach(() => {
  home = makeTempHome();
});
afterEach(() => home.cleanup());

async function onlySpec(): Promise<AuthFileCredentialSpec> {
  const result = await importReadOnly(home);
  expect(result.skipped).toEqual([]);
  expect(result.credentials).toHaveLength(1);
  const spec = result.credentials[0];
  if (spec?.origin !== 'auth.json') throw new Error('expected an auth.json credential');
  return spec;
}

async function onlyWarning(): Promise<string> {
  const result = await importReadOnly(home);
  expect(result.credentials).toEqual([]);
  expect(result.warnings).toHaveLength(1);
  return result.warnings[0] ?? '';
}

describe('Codex CLI import: auth.json forms', () => {
  it('imports a ChatGPT login with nested tokens and account_id, pointing at auth.json itself', async () => {
    const tokens = { ...chatGptTokens({ accountId: 'acct-from-claim', email: 'ada@example.com', plan: 'plus' }), account_id: 'acct-in-file' };
    home.writeJson('auth.json', { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens, last_refresh: '2026-08-01T10:00:00Z' });
    const spec = await onlySpec();
    expect(spec).toMatchObject({
      id: 'codex-cli',
      source: 'codex-cli',
      origin: 'auth.json',
      kind: 'oauth',
      format: 'codex-cli',
      tokenFile: home.authFile,
      providerId: 'openai',
      baseUrl: DEFAULTS.chatgpt_base_url,
      wireApi: 'responses',
      accountId: 'acct-in-file',
      email: 'ada@example.com',
      planType: 'plus',
    });
    expect(spec.baseUrlOverride).toBeUndefined();
    expect(spec.expiresAt).toBeGreaterThan(0);
    expect(JSON.stringify(spec)).not.toContain(tokens.access_token);
    expect(JSON.stringify(spec)).not.toContain(tokens.refresh_token);
  });

  it('takes the account id from the id_token claim when an older file has no account_id', async () => {
    home.writeJson('auth.json', { auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: chatGptTokens({ accountId: 'acct-claim' }) });
    const spec = await onlySpec();
    expect(spec.accountId).toBe('acct-claim');
    expect(spec.notes).toEqual([]);
  });

  it('reads a ChatGPT login without auth_mode (ChatMock style) as OAuth', async () => {
    home.writeJson('auth.json', { OPENAI_API_KEY: null, tokens: chatGptTokens({ accountId: 'acct-1' }), last_refresh: '2026-08-01T10:00:00Z' });
    expect(await onlySpec()).toMatchObject({ kind: 'oauth', accountId: 'acct-1', baseUrl: DEFAULTS.chatgpt_base_url });
  });

  it.each([
    ['auth_mode chatgptAuthTokens', { auth_mode: 'chatgptAuthTokens' }, 'oauth'],
    ['auth_mode chatgpt with an exchanged API key', { auth_mode: 'chatgpt', OPENAI_API_KEY: 'sk-test-exchanged-1234' }, 'oauth'],
    ['no auth_mode with OPENAI_API_KEY set (Codex resolves apikey)', { OPENAI_API_KEY: 'sk-test-exchanged-1234' }, 'api_key'],
    ['an agent_identity beside ChatGPT tokens', { auth_mode: 'chatgpt', agent_identity: 'agent-identity-placeholder' }, 'oauth'],
  ])('reads %s beside tokens as %s', async (_label, fields, kind) => {
    home.writeJson('auth.json', { ...fields, tokens: chatGptTokens({ accountId: 'acct-1' }) });
    expect((await onlySpec()).kind).toBe(kind);
  });

  it('notes a ChatGPT login with no account id anywhere', async () => {
    home.writeJson('auth.json', { auth_mode: 'chatgpt', tokens: chatGptTokens() });
    const spec = await onlySpec();
    expect(spec.accountId).toBeUndefined();
    expect(spec.notes.join('\n')).toContain('ChatGPT-Account-ID');
  });

  it('imports an API-key login (auth_mode apikey) on codex.api_base_url, with the key masked', async () => {
    home.writeJson('auth.json', { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-key-abcd' });
    const spec = await onlySpec();
    expect(spec).toMatchObject({ id: 'codex-cli', kind: 'api_key', baseUrl: DEFAULTS.api_base_url, maskedKey: 'sk-...abcd', wireApi: 'responses' });
    expect(spec.baseUrlOverride).toBeUndefined();
    expect(JSON.stringify(spec)).not.toContain('sk-test-key-abcd');
  });

  it.each([
    [{ api_key: 'sk-test-flat-1234', api_base_url: 'https://gateway.example.com' }, 'https://gateway.example.com/v1'],
    [{ api_key: 'sk-test-flat-1234', api_base_url: 'https://gateway.example.com/v1/' }, 'https://gateway.example.com/v1'],
    [{ apiKey: 'sk-test-flat-1234', apiBaseUrl: 'https://gateway.example.com/openai/v1' }, 'https://gateway.example.com/openai/v1'],
  ])('imports the flat API-key form %j with base URL %s', async (file, baseUrl) => {
    home.writeJson('auth.json', file);
    expect(await onlySpec()).toMatchObject({ kind: 'api_key', format: 'api_key', baseUrl, baseUrlOverride: baseUrl, maskedKey: 'sk-...1234' });
  });

  it('imports the flat API-key form without a base URL on codex.api_base_url', async () => {
    home.writeJson('auth.json', { api_key: 'sk-test-flat-1234' });
    const spec = await onlySpec();
    expect(spec.baseUrl).toBe(DEFAULTS.api_base_url);
    expect(spec.baseUrlOverride).toBeUndefined();
  });

  it('refuses an agent identity by name', async () => {
    home.writeJson('auth.json', { auth_mode: 'agentIdentity', OPENAI_API_KEY: null, agent_identity: 'agent-identity-placeholder' });
    const warning = await onlyWarning();
    expect(warning).toContain(home.authFile);
    expect(warning).toContain('agent identity');
  });

  it('refuses a personal access token by name', async () => {
    home.writeJson('auth.json', { OPENAI_API_KEY: null, personal_access_token: 'pat-placeholder' });
    expect(await onlyWarning()).toContain('personal access token');
  });

  it('warns about broken JSON without quoting the file, and leaves it as it is', async () => {
    home.write('auth.json', '{\n  "auth_mode": "apikey",\n  "OPENAI_API_KEY": sk-test-unquoted-key-1234\n}\n');
    const warning = await onlyWarning();
    expect(warning).toContain(home.authFile);
    expect(warning).toContain('not valid JSON');
    expect(warning).not.toContain('sk-test');
    expect(warning).not.toContain('unquoted');
  });

  it('gives the line of a JSON error when the parser reports a position', async () => {
    home.write('auth.json', '{\n  "auth_mode": "apikey",\n  "OPENAI_API_KEY": "sk-test-1234",\n}\n');
    expect(await onlyWarning()).toContain('not valid JSON (line 4)');
  });

  it('warns about a file with neither tokens nor a key', async () => {
    home.writeJson('auth.json', { auth_mode: 'chatgpt', OPENAI_API_KEY: null });
    expect(await onlyWarning()).toContain('no tokens and no OPENAI_API_KEY');
  });

  it('warns when auth.json is missing, saying how to sign in', async () => {
    const warning = await onlyWarning();
    expect(warning).toContain(`${home.authFile} does not exist`);
    expect(warning).toContain('codex login');
  });

  it('warns when auth.json cannot be read', async () => {
    fs.mkdirSync(home.authFile);
    expect(await onlyWarning()).toContain('cannot be read (EISDIR)');
  });

  it('warns when CODEX_HOME does not exist at all', async () => {
    const result = await importCodexCli({ codexHome: path.join(home.home, 'no-such-codex-home'), env: {}, config: DEFAULTS });
    expect(result.credentials).toEqual([]);
    expect(result.warnings.join('\n')).toContain('does not exist');
  });
});
