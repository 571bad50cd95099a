import type { QuotaSnapshot } from './quota.js';
import type { CredentialKind, CredentialSecret, CredentialSource, CredentialState, TokenFileFormat } from './types.js';

/** Counters kept per credential (the metrics capability persists them). */
export interface CredentialStats {
  requests: number;
  successes: number;
  failures: number;
  lastUsedAt?: number | undefined;
  lastError?: string | undefined;
  lastRefreshAt?: number | undefined;
  lastRefreshError?: string | undefined;
}

/** What was last read from the credential's token file. */
export interface TokenFileSnapshot {
  format: TokenFileFormat;
  raw: Record<string, unknown>;
  /** The exact text, so "has someone else changed the file?" is a plain comparison. */
  text: string;
}

/** One credential of the pool at run time. Mutable state lives here; choosing between them is pool.ts. */
export interface Credential {
  readonly id: string;
  readonly source: CredentialSource;
  /** Absolute path of the token file (for codex-cli imports: the Codex CLI's own auth.json, never a copy). */
  readonly tokenFile: string;
  readonly proxyUrl?: string | undefined;
  /** Upstream base URL chosen by the import (config.toml provider); else the codex.* defaults apply. */
  readonly baseUrlOverride?: string | undefined;
  /** Static headers and query parameters from a config.toml provider. */
  readonly extraHeaders: Readonly<Record<string, string>>;
  readonly queryParams: Readonly<Record<string, string>>;
  disabled: boolean;
  kind?: CredentialKind | undefined;
  secret?: CredentialSecret | undefined;
  file?: TokenFileSnapshot | undefined;
  state: CredentialState;
  /** Why the state is what it is (invalid, needs_login, cooldown), with the fix where there is one. */
  reason?: string | undefined;
  /** ms since the epoch; set with state cooldown. */
  cooldownUntil?: number | undefined;
  /** True for a cooldown the upstream asked for (usage limit, Retry-After); a soft one (5xx, network) may be used as a last resort. */
  cooldownHard?: boolean | undefined;
  stats: CredentialStats;
  /** The latest quota windows the upstream reported. */
  quota?: QuotaSnapshot | undefined;
  /** The last cheap authenticated check (at import), for status. */
  health?: { ok: boolean; status?: number | undefined; message: string; checkedAt: number } | undefined;
}

export function emptyStats(): CredentialStats {
  return { requests: 0, successes: 0, failures: 0 };
}
