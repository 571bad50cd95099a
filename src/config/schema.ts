import { z } from 'zod';

/** A proxy URL for one credential: http, https or socks5. */
const proxyUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return ['http:', 'https:', 'socks5:', 'socks:'].includes(url.protocol) && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'expected a proxy URL such as http://host:8080, https://host:8443 or socks5://host:1080' },
);

const httpUrl = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected an http(s) URL' },
);

export const credentialEntrySchema = z.strictObject({
  id: z.string().min(1).regex(/^[A-Za-z0-9._@+-]+$/, 'expected letters, digits and . _ @ + - only'),
  token_file: z.string().min(1),
  disabled: z.boolean().default(false),
  proxy_url: proxyUrl.optional(),
});
export type CredentialEntry = z.infer<typeof credentialEntrySchema>;

export const routingRuleSchema = z.strictObject({
  pattern: z.string().min(1),
  provider: z.literal('codex'),
  priority: z.number().default(0),
});
export type RoutingRule = z.infer<typeof routingRuleSchema>;

export const DEFAULT_MODEL_ALIASES: Record<string, string> = { 'gpt-4*': 'gpt-5.4', 'gpt-3.5*': 'gpt-5.4-mini' };

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8999),
      api_keys: z.array(z.string().min(1)).default([]),
      admin_key: z.string().min(1).optional(),
      body_limit_bytes: z.number().int().positive().default(20 * 1024 * 1024),
      shutdown_grace_ms: z.number().int().min(0).max(30_000).default(3000),
    })
    .prefault({}),
  auth_dir: z.string().min(1).default('~/.proxycast/auth'),
  credential_pool: z
    .strictObject({
      codex: z.array(credentialEntrySchema).default([]),
    })
    .prefault({}),
  routing: z
    .strictObject({
      strategy: z.enum(['round-robin', 'fill-first']).default('round-robin'),
      rules: z.array(routingRuleSchema).default([]),
      max_attempts: z.number().int().min(1).max(10).default(3),
      /** A credential in a quota cooldown is probed (GET wham/usage) at most this often; 0 = never (wait for the reset). */
      quota_probe_interval_seconds: z.number().int().min(0).default(300),
    })
    .prefault({}),
  upstream: z
    .strictObject({
      connect_timeout_ms: z.number().int().positive().default(10_000),
      first_byte_timeout_ms: z.number().int().positive().default(120_000),
      idle_timeout_ms: z.number().int().positive().default(300_000),
    })
    .prefault({}),
  codex: z
    .strictObject({
      import_cli: z.boolean().default(true),
      codex_home: z.string().min(1).optional(),
      chatgpt_base_url: httpUrl.default('https://chatgpt.com/backend-api/codex'),
      api_base_url: httpUrl.default('https://api.openai.com/v1'),
      oauth_issuer: httpUrl.default('https://auth.openai.com'),
      oauth_callback_port: z.number().int().min(1).max(65535).default(1455),
      refresh_margin_seconds: z.number().int().min(0).default(300),
      default_model: z.string().min(1).default('gpt-5.4'),
      model_aliases: z.record(z.string(), z.string().min(1)).default(DEFAULT_MODEL_ALIASES),
      client_version: z.string().min(1).default('0.146.0'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** The embedded defaults: what runs when there is no config file. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
