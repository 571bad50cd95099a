import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('config loading', () => {
  it('uses embedded defaults when no file exists', () => {
    const loaded = loadConfig({ env: {}, homeDir: dir, cwd: dir });
    expect(loaded.file).toBeUndefined();
    expect(loaded.config.server).toMatchObject({ host: '127.0.0.1', port: 8999, api_keys: [] });
    expect(loaded.config.codex.model_aliases).toEqual({ 'gpt-4*': 'gpt-5.4', 'gpt-3.5*': 'gpt-5.4-mini' });
    expect(loaded.config.routing.strategy).toBe('round-robin');
  });

  it('follows the lookup order: --config, $PROXYCAST_CONFIG, ./config.yaml, ~/.proxycast/config.yaml', () => {
    fs.mkdirSync(path.join(dir, '.proxycast'));
    fs.writeFileSync(path.join(dir, '.proxycast', 'config.yaml'), 'server: { port: 1 }\n');
    expect(loadConfig({ env: {}, homeDir: dir, cwd: dir }).config.server.port).toBe(1);
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'server: { port: 2 }\n');
    expect(loadConfig({ env: {}, homeDir: dir, cwd: dir }).config.server.port).toBe(2);
    fs.writeFileSync(path.join(dir, 'env.yaml'), 'server: { port: 3 }\n');
    expect(loadConfig({ env: { PROXYCAST_CONFIG: path.join(dir, 'env.yaml') }, homeDir: dir, cwd: dir }).config.server.port).toBe(3);
    fs.writeFileSync(path.join(dir, 'flag.yaml'), 'server: { port: 4 }\n');
    expect(
      loadConfig({ flag: path.join(dir, 'flag.yaml'), env: { PROXYCAST_CONFIG: path.join(dir, 'env.yaml') }, homeDir: dir, cwd: dir }).config.server.port,
    ).toBe(4);
  });

  it('names the file, the key path and what is expected', () => {
    const text = 'routing:\n  rules:\n    - pattern: "gpt-*"\n      provider: codex\n      priority: high\n';
    expect(() => parseConfigText(text, 'config.yaml')).toThrow('config.yaml: routing.rules[0].priority: expected a number');
  });

  it('rejects unknown keys by name', () => {
    expect(() => parseConfigText('server:\n  prot: 1\n', 'config.yaml')).toThrow('config.yaml: server.prot: unknown key');
    expect(() => parseConfigText('sever: {}\n', 'c.yaml')).toThrow('c.yaml: sever: unknown key');
  });

  it('rejects duplicate credential ids and bad proxy URLs', () => {
    const dup = 'credential_pool:\n  codex:\n    - { id: a, token_file: a.json }\n    - { id: a, token_file: b.json }\n';
    expect(() => parseConfigText(dup, 'config.yaml')).toThrow("credential_pool.codex[1].id: duplicate credential id 'a'");
    const proxy = 'credential_pool:\n  codex:\n    - { id: a, token_file: a.json, proxy_url: "ftp://x" }\n';
    expect(() => parseConfigText(proxy, 'config.yaml')).toThrow('credential_pool.codex[0].proxy_url: expected a proxy URL');
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseConfigText('server: [', 'config.yaml')).toThrow(ConfigError);
    expect(() => parseConfigText('server: [', 'config.yaml')).toThrow(/^config\.yaml: not valid YAML/);
  });
});

describe('token file parsing edge cases', async () => {
  const { parseTokenFile } = await import('../../src/credentials/token-file.js');
  it('never quotes file text in a JSON error, only the line', () => {
    const text = '{\n  "OPENAI_API_KEY": sk-proj-abcdef\n}';
    expect(() => parseTokenFile(text)).toThrow(/^not valid JSON/);
    try {
      parseTokenFile(text);
    } catch (error) {
      expect((error as Error).message).not.toContain('sk-proj');
    }
  });
  it('reads a file with a byte-order mark, a mixed-case auth mode, and a flat api_key beside a null OPENAI_API_KEY', () => {
    expect(parseTokenFile('\uFEFF{"api_key":"sk-a-1234"}').secret).toMatchObject({ kind: 'api_key', apiKey: 'sk-a-1234' });
    expect(() => parseTokenFile('{"auth_mode":"PersonalAccessToken","tokens":{"access_token":"a","refresh_token":"b"}}')).toThrow(/personal access token/);
    expect(parseTokenFile('{"OPENAI_API_KEY":null,"api_key":"sk-b-1234"}').secret).toMatchObject({ kind: 'api_key', apiKey: 'sk-b-1234' });
  });
});
