import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';

describe('config.example.yaml', () => {
  it('parses, and its values are the embedded defaults', () => {
    const text = fs.readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
    expect(parseConfigText(text, 'config.example.yaml')).toEqual(defaultConfig());
  });

  it('mentions every key of the schema', () => {
    const text = fs.readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
    const keys = ['host', 'port', 'api_keys', 'admin_key', 'body_limit_bytes', 'shutdown_grace_ms', 'auth_dir', 'id', 'token_file', 'disabled', 'proxy_url', 'strategy', 'pattern', 'provider', 'priority', 'max_attempts', 'quota_probe_interval_seconds', 'connect_timeout_ms', 'first_byte_timeout_ms', 'idle_timeout_ms', 'import_cli', 'codex_home', 'chatgpt_base_url', 'api_base_url', 'oauth_issuer', 'oauth_callback_port', 'refresh_margin_seconds', 'default_model', 'model_aliases', 'client_version'];
    for (const key of keys) expect(text, key).toMatch(new RegExp(`\\b${key}:`));
  });
});
