import { z } from 'zod';
import { chatGptIdentity, jwtExpiryMs } from './jwt.js';
import type { ApiKeySecret, OAuthSecret, ParsedTokenFile } from './types.js';

/** A token file that cannot be used; the message is the reason shown with the `invalid` state. */
export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

const nonEmpty = z.string().min(1);
const timestamp = z.union([z.string(), z.number()]).optional();

const codexCliSchema = z.looseObject({
  auth_mode: z.string().optional().nullable(),
  OPENAI_API_KEY: z.string().nullable().optional(),
  tokens: z
    .looseObject({
      id_token: z.string().optional().nullable(),
      access_token: nonEmpty,
      refresh_token: nonEmpty,
      account_id: z.string().optional().nullable(),
    })
    .optional()
    .nullable(),
  last_refresh: timestamp.nullable(),
});

const flatOAuthSchema = z.looseObject({
  access_token: nonEmpty,
  refresh_token: nonEmpty,
  expires_at: timestamp.nullable(),
  expired: timestamp.nullable(),
  token_type: z.string().optional(),
  id_token: z.string().optional().nullable(),
  account_id: z.string().optional().nullable(),
  email: z.string().optional().nullable(),
  last_refresh: timestamp.nullable(),
});

const flatApiKeySchema = z.looseObject({
  api_key: nonEmpty.optional(),
  apiKey: nonEmpty.optional(),
  api_base_url: z.string().optional(),
  apiBaseUrl: z.string().optional(),
});

/** ms since the epoch from an RFC 3339 string or unix seconds/ms; undefined when absent or unreadable. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value.length > 0) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Normalises an API base URL so that "<base>/chat/completions" works: with or without /v1, no trailing slash. */
export function normaliseApiBaseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  try {
    const parsed = new URL(trimmed);
    if (parsed.pathname === '' || parsed.pathname === '/') return `${trimmed}/v1`;
  } catch {
    throw new TokenFileError(`api_base_url "${url}" is not a URL`);
  }
  return trimmed;
}

function oauthSecret(fields: {
  accessToken: string;
  refreshToken: string;
  idToken?: string | null | undefined;
  accountId?: string | null | undefined;
  email?: string | null | undefined;
  expiresAt?: unknown;
  lastRefresh?: unknown;
}): OAuthSecret {
  const identity = chatGptIdentity(fields.idToken ?? undefined, fields.accessToken);
  return {
    kind: 'oauth',
    accessToken: fields.accessToken,
    refreshToken: fields.refreshToken,
    idToken: fields.idToken ?? undefined,
    accountId: fields.accountId || identity.accountId,
    email: fields.email || identity.email,
    planType: identity.planType,
    expiresAt: parseTimestamp(fields.expiresAt) ?? jwtExpiryMs(fields.accessToken),
    lastRefresh: parseTimestamp(fields.lastRefresh),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('; ');
}

function parseCodexCli(raw: Record<string, unknown>): ParsedTokenFile {
  const mode = typeof raw.auth_mode === 'string' ? raw.auth_mode : undefined;
  const modeKey = mode?.toLowerCase().replace(/[_-]/g, '');
  if (modeKey === 'agentidentity' || (raw.agent_identity && !raw.tokens && !raw.OPENAI_API_KEY)) {
    throw new TokenFileError('this auth.json holds an agent identity (auth_mode "agentIdentity"), which proxycast does not support; sign in with ChatGPT or an API key');
  }
  if (modeKey === 'personalaccesstoken' || (raw.personal_access_token && !raw.tokens && !raw.OPENAI_API_KEY)) {
    throw new TokenFileError('this auth.json holds a personal access token, which proxycast does not support; sign in with ChatGPT or an API key');
  }
  const parsed = codexCliSchema.safeParse(raw);
  if (!parsed.success) throw new TokenFileError(`not a valid Codex CLI auth.json: ${describeIssues(parsed.error)}`);
  const data = parsed.data;
  const flatKey = typeof raw.api_key === 'string' && raw.api_key ? raw.api_key : typeof raw.apiKey === 'string' && raw.apiKey ? raw.apiKey : undefined;
  const apiKey = data.OPENAI_API_KEY || flatKey;
  const wantsApiKey = modeKey === 'apikey' || (mode === undefined && !!apiKey);
  if (wantsApiKey) {
    if (!apiKey) throw new TokenFileError('auth_mode is "apikey" but OPENAI_API_KEY is empty');
    return { format: 'codex-cli', secret: { kind: 'api_key', apiKey }, raw };
  }
  if (!data.tokens) {
    if (apiKey) return { format: 'codex-cli', secret: { kind: 'api_key', apiKey }, raw };
    throw new TokenFileError('auth.json has no tokens and no OPENAI_API_KEY; run `codex login` or `proxycast login`');
  }
  return {
    format: 'codex-cli',
    secret: oauthSecret({
      accessToken: data.tokens.access_token,
      refreshToken: data.tokens.refresh_token,
      idToken: data.tokens.id_token,
      accountId: data.tokens.account_id,
      lastRefresh: data.last_refresh,
    }),
    raw,
  };
}

/** Reads a token file's text in any of the three formats; throws TokenFileError with the reason. */
export function parseTokenFile(text: string): ParsedTokenFile {
  let raw: unknown;
  const source = text.replace(/^\uFEFF/, '');
  try {
    raw = JSON.parse(source);
  } catch (error) {
    // Never quote the parser's message: it repeats the text around the error, which may be part of a secret.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const line = position === undefined ? undefined : source.slice(0, Number(position)).split('\n').length;
    throw new TokenFileError(line === undefined ? 'not valid JSON' : `not valid JSON (line ${line})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TokenFileError('expected a JSON object');
  const object = raw as Record<string, unknown>;
  if ('tokens' in object || 'auth_mode' in object || 'OPENAI_API_KEY' in object || 'agent_identity' in object || 'personal_access_token' in object) {
    return parseCodexCli(object);
  }
  if ('api_key' in object || 'apiKey' in object) {
    const parsed = flatApiKeySchema.safeParse(object);
    if (!parsed.success) throw new TokenFileError(`not a valid API-key token file: ${describeIssues(parsed.error)}`);
    const apiKey = parsed.data.api_key ?? parsed.data.apiKey;
    if (!apiKey) throw new TokenFileError('api_key is empty');
    const base = parsed.data.api_base_url ?? parsed.data.apiBaseUrl;
    const secret: ApiKeySecret = { kind: 'api_key', apiKey, baseUrl: base ? normaliseApiBaseUrl(base) : undefined };
    return { format: 'api_key', secret, raw: object };
  }
  if ('access_token' in object) {
    const parsed = flatOAuthSchema.safeParse(object);
    if (!parsed.success) throw new TokenFileError(`not a valid OAuth token file: ${describeIssues(parsed.error)}`);
    const data = parsed.data;
    return {
      format: 'oauth',
      secret: oauthSecret({
        accessToken: data.access_token,
        refreshToken: data.refresh_token,
        idToken: data.id_token,
        accountId: data.account_id,
        email: data.email,
        expiresAt: data.expires_at ?? data.expired,
        lastRefresh: data.last_refresh,
      }),
      raw: object,
    };
  }
  throw new TokenFileError('unrecognised token file: expected access_token/refresh_token, api_key, or a Codex CLI auth.json');
}

/**
 * The file text after new OAuth tokens, in the format it was read, keeping every key we do not own.
 * Codex CLI files keep `tokens{...}` and `last_refresh`; flat files get expires_at in RFC 3339.
 */
export function serializeOAuthTokenFile(previous: Pick<ParsedTokenFile, 'format' | 'raw'>, secret: OAuthSecret): string {
  const lastRefresh = secret.lastRefresh !== undefined ? new Date(secret.lastRefresh).toISOString() : undefined;
  if (previous.format === 'codex-cli') {
    const oldTokens = (previous.raw.tokens && typeof previous.raw.tokens === 'object' ? previous.raw.tokens : {}) as Record<string, unknown>;
    const next: Record<string, unknown> = {
      ...previous.raw,
      tokens: {
        ...oldTokens,
        id_token: secret.idToken ?? oldTokens.id_token ?? null,
        access_token: secret.accessToken,
        refresh_token: secret.refreshToken,
        account_id: secret.accountId ?? oldTokens.account_id ?? null,
      },
    };
    if (!('OPENAI_API_KEY' in next)) next.OPENAI_API_KEY = null;
    if (lastRefresh) next.last_refresh = lastRefresh;
    return `${JSON.stringify(next, null, 2)}\n`;
  }
  const next: Record<string, unknown> = {
    ...previous.raw,
    access_token: secret.accessToken,
    refresh_token: secret.refreshToken,
    token_type: 'Bearer',
  };
  if (secret.expiresAt !== undefined) next.expires_at = new Date(secret.expiresAt).toISOString();
  if (secret.idToken) next.id_token = secret.idToken;
  if (secret.accountId) next.account_id = secret.accountId;
  if (secret.email) next.email = secret.email;
  if (lastRefresh) next.last_refresh = lastRefresh;
  return `${JSON.stringify(next, null, 2)}\n`;
}
