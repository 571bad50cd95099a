import type { Credential } from './credential.js';
import { chooseByStrategy, cooldownEnd, effectiveState, isUsable, lastResortCredential, usableCredentials, type Strategy } from './selection.js';
import type { CredentialState } from './types.js';
import { quotaExhaustedUntil } from './quota.js';

/** How long a conversation stays pinned to the credential that served it, after its last turn. */
const STICKY_TTL_MS = 60 * 60 * 1000;

interface StickyEntry {
  credentialId: string;
  lastSeen: number;
}

/** Why nothing could be picked: every usable credential is cooling down, or the pool has none usable at all. */
export interface PoolExhaustion {
  allCoolingDown: boolean;
  /** Every cooldown is one the upstream set (usage limit, Retry-After) or a spent quota window. */
  allLimited: boolean;
  earliestResetMs: number | undefined;
  /** "codex-a: cooldown until …; codex-b: needs_login (…)" */
  summary: string;
  ids: string[];
}

/** The credential pool: holds the run-time credentials and picks one per attempt. No I/O; time comes in as `now`. */
export class CredentialPool {
  private credentials: Credential[] = [];
  private lastUsedId: string | undefined;
  private readonly sticky = new Map<string, StickyEntry>();

  constructor(
    credentials: Credential[],
    private strategy: Strategy,
  ) {
    this.credentials = [...credentials];
  }

  list(): readonly Credential[] {
    return this.credentials;
  }

  get(id: string): Credential | undefined {
    return this.credentials.find((credential) => credential.id === id);
  }

  setStrategy(strategy: Strategy): void {
    this.strategy = strategy;
  }

  /** Adds a credential, or replaces the one with the same id (keeping its place in the rotation). */
  upsert(credential: Credential): void {
    const index = this.credentials.findIndex((existing) => existing.id === credential.id);
    if (index === -1) this.credentials.push(credential);
    else this.credentials[index] = credential;
  }

  remove(id: string): void {
    this.credentials = this.credentials.filter((credential) => credential.id !== id);
  }

  /**
   * Picks a credential for one attempt. A conversation (stickyKey) stays on the credential that served it while that
   * one is usable; otherwise the strategy chooses and the conversation moves there.
   */
  pick(
    now: number,
    options: { exclude?: ReadonlySet<string>; stickyKey?: string | undefined; filter?: (credential: Credential) => boolean } = {},
  ): Credential | undefined {
    const filter = options.filter;
    const candidates = filter ? this.credentials.filter((credential) => filter(credential)) : this.credentials;
    const usable = usableCredentials(candidates, now, options.exclude ?? new Set());
    if (usable.length === 0) return lastResortCredential(candidates, now, options.exclude ?? new Set());
    const pinned = options.stickyKey ? this.sticky.get(options.stickyKey) : undefined;
    if (pinned && now - pinned.lastSeen < STICKY_TTL_MS) {
      const credential = usable.find((candidate) => candidate.id === pinned.credentialId);
      if (credential) {
        pinned.lastSeen = now;
        return credential;
      }
    }
    const order = this.credentials.map((credential) => credential.id);
    const chosen = chooseByStrategy(usable, this.strategy, order, this.lastUsedId);
    this.lastUsedId = chosen.id;
    if (options.stickyKey) this.sticky.set(options.stickyKey, { credentialId: chosen.id, lastSeen: now });
    this.pruneSticky(now);
    return chosen;
  }

  /** Number of live conversations pinned to each credential (shown in status). */
  stickyCounts(now: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.sticky.values()) {
      if (now - entry.lastSeen < STICKY_TTL_MS) counts[entry.credentialId] = (counts[entry.credentialId] ?? 0) + 1;
    }
    return counts;
  }

  /** Counts credentials by their state at `now`, with every state name present. */
  countByState(now: number): Record<CredentialState, number> {
    const counts: Record<CredentialState, number> = { active: 0, refreshing: 0, cooldown: 0, needs_login: 0, invalid: 0, disabled: 0 };
    for (const credential of this.credentials) counts[effectiveState(credential, now)] += 1;
    return counts;
  }

  /** Describes why no credential is usable, for the one error the client gets. */
  exhaustion(now: number, exclude: ReadonlySet<string> = new Set()): PoolExhaustion {
    const parts: string[] = [];
    let earliest: number | undefined;
    let allCoolingDown = this.credentials.length > 0;
    let allLimited = this.credentials.length > 0;
    for (const credential of this.credentials) {
      const state = effectiveState(credential, now);
      const until = cooldownEnd(credential, now);
      if (state === 'cooldown' && until !== undefined) {
        earliest = earliest === undefined ? until : Math.min(earliest, until);
        const why = credential.state === 'cooldown' ? credential.reason : 'a quota window is at 100 %';
        if (credential.state === 'cooldown' && !credential.cooldownHard && quotaExhaustedUntil(credential.quota, now) === undefined) allLimited = false;
        parts.push(`${credential.id}: cooldown until ${new Date(until).toISOString()}${why ? ` (${why})` : ''}`);
      } else if (exclude.has(credential.id) && isUsable(credential, now)) {
        allCoolingDown = false;
        allLimited = false;
        parts.push(`${credential.id}: failed on this request${credential.stats.lastError ? ` (${credential.stats.lastError})` : ''}`);
      } else {
        allCoolingDown = false;
        allLimited = false;
        parts.push(`${credential.id}: ${state}${credential.reason ? ` (${credential.reason})` : ''}`);
      }
    }
    const summary = parts.length > 0 ? parts.join('; ') : 'the credential pool is empty; run `proxycast login` or `codex login`, or add credential_pool.codex entries to config.yaml';
    return { allCoolingDown, allLimited, earliestResetMs: earliest, summary, ids: this.credentials.map((credential) => credential.id) };
  }

  private pruneSticky(now: number): void {
    if (this.sticky.size < 10_000) return;
    for (const [key, entry] of this.sticky) if (now - entry.lastSeen >= STICKY_TTL_MS) this.sticky.delete(key);
  }
}
