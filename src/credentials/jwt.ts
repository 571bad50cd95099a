/** Reads JWT claims without verifying them: we only use them for expiry and account metadata. */
export function decodeJwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length < 2 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The JWT `exp` in ms since the epoch, when present. */
export function jwtExpiryMs(token: string | undefined): number | undefined {
  const exp = decodeJwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

export interface ChatGptIdentity {
  accountId?: string | undefined;
  email?: string | undefined;
  planType?: string | undefined;
}

function objectAt(claims: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const value = claims?.[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringAt(object: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Account id, email and plan from the id_token (and the access token as a fallback), per codex-protocol.md 3.4:
 * claim "https://api.openai.com/auth" holds chatgpt_account_id and chatgpt_plan_type.
 */
export function chatGptIdentity(idToken: string | undefined, accessToken?: string): ChatGptIdentity {
  const id = decodeJwtClaims(idToken);
  const access = decodeJwtClaims(accessToken);
  const idAuth = objectAt(id, 'https://api.openai.com/auth');
  const accessAuth = objectAt(access, 'https://api.openai.com/auth');
  const profile = objectAt(id, 'https://api.openai.com/profile') ?? objectAt(access, 'https://api.openai.com/profile');
  return {
    accountId: stringAt(idAuth, 'chatgpt_account_id') ?? stringAt(accessAuth, 'chatgpt_account_id'),
    email: stringAt(id, 'email') ?? stringAt(profile, 'email'),
    planType: stringAt(idAuth, 'chatgpt_plan_type') ?? stringAt(accessAuth, 'chatgpt_plan_type'),
  };
}
