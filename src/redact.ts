/** Masks a secret for display: "sk-...abcd" style, never more than the last four characters. */
export function maskSecret(secret: string | undefined | null): string {
  if (!secret) return '';
  const tail = secret.length > 12 ? secret.slice(-4) : '';
  const head = secret.startsWith('sk-') ? 'sk-' : secret.startsWith('rt_') ? 'rt_' : secret.startsWith('eyJ') ? 'eyJ' : '';
  return `${head}...${tail}`;
}

/** pino redact paths: every place a secret could sit in what we log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.authorization',
  '*.Authorization',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.api_key',
  '*.apiKey',
  '*.OPENAI_API_KEY',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apiKey',
];

const SECRET_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\brt_[A-Za-z0-9_.-]{8,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** Replaces anything that looks like a key or token inside free text (error messages, upstream bodies). */
export function scrubSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret && secret.length >= 8) out = out.split(secret).join(maskSecret(secret));
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, bearer?: string) =>
      typeof bearer === 'string' && /^Bearer/i.test(bearer) ? `${bearer}${maskSecret(match.slice(bearer.length))}` : maskSecret(match),
    );
  }
  return out;
}
