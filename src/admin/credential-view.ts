import type { Credential } from '../credentials/credential.js';
import { cooldownEnd, effectiveState } from '../credentials/selection.js';
import type { CredentialKind, CredentialSource, CredentialState } from '../credentials/types.js';
import { maskSecret, scrubSecrets } from '../redact.js';
import { quotaLabel } from '../credentials/quota.js';
import type { CredentialUsage } from '../metrics/usage-store.js';
import type { TokenUsage } from '../metrics/usage.js';

/** One credential as the admin API, `proxycast status --json` and the page show it. Never holds a secret. */
export interface CredentialView {
  id: string;
  kind: CredentialKind | null;
  source: CredentialSource;
  state: CredentialState;
  reason: string | null;
  cooldown_until: string | null;
  disabled: boolean;
  token_file: string;
  expires_at: string | null;
  last_refresh: string | null;
  email: string | null;
  account_id: string | null;
  plan: string | null;
  masked_key: string | null;
  proxy_url: string | null;
  requests: number;
  successes: number;
  failures: number;
  last_used: string | null;
  last_error: string | null;
  /** Why the last token refresh failed, while the credential may still serve on its current token. */
  last_refresh_error: string | null;
  sticky_sessions: number;
  /** "5h 12% · 7d 40%" when the upstream reported quota windows. */
  quota: string | null;
  /** When the fullest quota window resets. */
  quota_resets_at: string | null;
  tokens_today: number | null;
  tokens_total: number | null;
  health: { ok: boolean; status: number | null; message: string; checked_at: string } | null;
}

function sumTokens(tokens: TokenUsage | undefined): number {
  return tokens ? tokens.input + tokens.output : 0;
}

function fullestWindowReset(credential: Credential): number | undefined {
  const windows = [credential.quota?.primary, credential.quota?.secondary].filter((window) => window !== undefined);
  const fullest = windows.sort((a, b) => b.usedPercent - a.usedPercent)[0];
  return fullest?.resetsAt;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** A proxy URL without its password. */
function redactProxyUrl(proxyUrl: string | undefined): string | null {
  if (!proxyUrl) return null;
  try {
    const url = new URL(proxyUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(invalid proxy URL)';
  }
}

/** The view of one credential at `now`. */
export function credentialView(credential: Credential, now: number, stickySessions = 0, usage?: CredentialUsage): CredentialView {
  const state = effectiveState(credential, now);
  const secret = credential.secret;
  const oauth = secret?.kind === 'oauth' ? secret : undefined;
  return {
    id: credential.id,
    kind: credential.kind ?? null,
    source: credential.source,
    state,
    reason: state === 'active' ? null : (credential.reason ?? null),
    cooldown_until: state === 'cooldown' ? iso(cooldownEnd(credential, now)) : null,
    disabled: credential.disabled,
    token_file: credential.tokenFile,
    expires_at: iso(oauth?.expiresAt),
    last_refresh: iso(oauth?.lastRefresh ?? credential.stats.lastRefreshAt),
    email: oauth?.email ?? null,
    account_id: oauth?.accountId ?? null,
    plan: oauth?.planType ?? null,
    masked_key: secret?.kind === 'api_key' ? maskSecret(secret.apiKey) : null,
    proxy_url: redactProxyUrl(credential.proxyUrl),
    requests: credential.stats.requests,
    successes: credential.stats.successes,
    failures: credential.stats.failures,
    last_used: iso(credential.stats.lastUsedAt),
    last_error: credential.stats.lastError ?? null,
    last_refresh_error: credential.stats.lastRefreshError ? scrubSecrets(credential.stats.lastRefreshError) : null,
    sticky_sessions: stickySessions,
    quota: quotaLabel(credential.quota),
    quota_resets_at: iso(fullestWindowReset(credential)),
    tokens_today: usage ? sumTokens(usage.today.day === new Date(now).toISOString().slice(0, 10) ? usage.today.tokens : undefined) : null,
    tokens_total: usage ? sumTokens(usage.tokens) : null,
    health: credential.health ? { ok: credential.health.ok, status: credential.health.status ?? null, message: credential.health.message, checked_at: new Date(credential.health.checkedAt).toISOString() } : null,
  };
}
