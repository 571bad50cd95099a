import crypto from 'node:crypto';

/** The claim namespace the ChatGPT tokens carry account and plan in (codex-protocol.md 3.4). */
export const OPENAI_AUTH_CLAIM = 'https://api.openai.com/auth';

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * An unsigned-looking JWT built at run time: an RS256 header, the claims, and random bytes as the "signature".
 * Nothing verifies signatures here (proxycast only reads claims), so this is enough for tests.
 */
export function buildFakeJwt(claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'fake-test-key' }));
  const payload = base64url(JSON.stringify(claims));
  return `${header}.${payload}.${base64url(crypto.randomBytes(32))}`;
}

/** Who the fake tokens belong to. */
export interface FakeIdentity {
  email?: string;
  accountId?: string;
  planType?: string;
  userId?: string;
}

const DEFAULT_IDENTITY: Required<FakeIdentity> = {
  email: 'tester@example.test',
  accountId: 'acct-fake-0001',
  planType: 'plus',
  userId: 'user-fake-0001',
};

/** A fake ChatGPT access token whose `exp` is `nowMs` + `lifetimeSeconds` (default 10 days). */
export function fakeAccessToken(options: { nowMs: number; lifetimeSeconds?: number; identity?: FakeIdentity; jti?: string }): string {
  const identity = { ...DEFAULT_IDENTITY, ...options.identity };
  const iat = Math.floor(options.nowMs / 1000);
  return buildFakeJwt({
    iss: 'https://auth.openai.com',
    aud: ['https://api.openai.com/v1'],
    sub: identity.userId,
    iat,
    exp: iat + (options.lifetimeSeconds ?? 10 * 24 * 3600),
    jti: options.jti ?? crypto.randomUUID(),
    [OPENAI_AUTH_CLAIM]: { chatgpt_account_id: identity.accountId, chatgpt_plan_type: identity.planType, chatgpt_user_id: identity.userId },
  });
}

/**
 * A fake id_token with the claims openid-client checks (iss, aud = client id, sub, iat, exp one hour out) and the
 * ones proxycast reads: email and the "https://api.openai.com/auth" object.
 */
export function fakeIdToken(options: { nowMs: number; issuer: string; clientId: string; identity?: FakeIdentity }): string {
  const identity = { ...DEFAULT_IDENTITY, ...options.identity };
  const iat = Math.floor(options.nowMs / 1000);
  return buildFakeJwt({
    iss: options.issuer,
    aud: options.clientId,
    sub: identity.userId,
    iat,
    exp: iat + 3600,
    email: identity.email,
    [OPENAI_AUTH_CLAIM]: { chatgpt_account_id: identity.accountId, chatgpt_plan_type: identity.planType, chatgpt_user_id: identity.userId },
  });
}

/** A fake rotating refresh token ("rt_" + random), distinct on every call. */
export function fakeRefreshToken(): string {
  return `rt_fake_${crypto.randomBytes(18).toString('base64url')}`;
}
