import type { Credential } from './credential.js';
import {
  chooseByStrategy, chooseForSession, cooldownEnd, effectiveState, isUsable, lastResortCredential, rebalanceTarget, usableCredentials,
  type Strategy,
} from './selection.js';
import type { CredentialState } from './types.js';
import { quotaExhaustedUntil } from './quota.js';

/** How long a conversation stays pinned to the credential that served it, after its last turn. */
const STICKY_TTL_MS = 60 * 60 * 1000;
/** Expired pins are swept at most this often (counts may include pins expired since, for up to this long). */
const STICKY_SWEEP_MS = 60 * 1000;

/** A conversation's key, or a function that works it out (called only when the pool has a choice to make). */
export type StickyKey = string | (() => string | undefined);

const NOTHING_EXCLUDED: ReadonlySet<string> = new Set();

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
  /** Pins per credential id, kept in step with `sticky`. */
  private readonly pinCounts = new Map<string, number>();
  private lastSweep = Number.NEGATIVE_INFINITY;
  /** Requests holding each credential right now (attempt started, answer not yet finished). */
  private readonly busy = new Map<string, number>();

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
    for (const [key, entry] of this.sticky) if (entry.credentialId === id) this.unpin(key);
  }

  /**
   * Picks a credential for one attempt. A conversation (stickyKey) stays on the credential that served it while that
   * one is usable; otherwise — and for a new conversation — the strategy chooses among the credentials under their
   * bounded share (chooseForSession: fair share plus slack) and the conversation moves there. Under round-robin a conversation whose credential
   * holds more than its share moves to the least loaded one (rebalanceTarget), so no account keeps them all.
   */
  pick(
    now: number,
    options: { exclude?: ReadonlySet<string>; stickyKey?: StickyKey | undefined; filter?: (credential: Credential) => boolean } = {},
  ): Credential | undefined {
    const filter = options.filter;
    const candidates = filter ? this.credentials.filter((credential) => filter(credential)) : this.credentials;
    const exclude = options.exclude ?? NOTHING_EXCLUDED;
    const usable = usableCredentials(candidates, now, exclude);
    if (usable.length === 0) return lastResortCredential(candidates, now, exclude);
    const order = this.credentials.map((credential) => credential.id);
    // With one candidate there is nothing to choose or keep, so a lazy key (hashing the conversation) is never read.
    const key = candidates.length > 1 ? (typeof options.stickyKey === 'function' ? options.stickyKey() : options.stickyKey) : undefined;
    if (!key) return this.remember(chooseByStrategy(usable, this.strategy, order, this.lastUsedId));
    this.sweep(now);
    const pinned = this.sticky.get(key);
    const live = pinned && now - pinned.lastSeen < STICKY_TTL_MS ? pinned : undefined;
    const counts = Object.fromEntries(this.pinCounts);
    const holder = live ? usable.find((candidate) => candidate.id === live.credentialId) : undefined;
    if (holder) {
      const target = rebalanceTarget(holder, usable, this.strategy, counts, this.sticky.size);
      this.pin(key, (target ?? holder).id, now);
      return target ?? holder;
    }
    const total = this.sticky.size + (pinned ? 0 : 1);
    const chosen = chooseForSession(usable, this.strategy, order, this.lastUsedId, counts, total);
    this.pin(key, chosen.id, now);
    return this.remember(chosen);
  }

  /**
   * Marks one request as holding the credential until the returned release is called (idempotent): an answer
   * that finished, failed or whose client went away releases it.
   */
  acquire(id: string): () => void {
    this.busy.set(id, (this.busy.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.busy.get(id) ?? 1) - 1;
      if (left > 0) this.busy.set(id, left);
      else this.busy.delete(id);
    };
  }

  /** Requests holding each credential right now (ids without any are absent). */
  inFlight(): Record<string, number> {
    return Object.fromEntries(this.busy);
  }

  /** Number of live conversations pinned to each credential (shown in status as sticky_sessions). */
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

  private remember(chosen: Credential): Credential {
    this.lastUsedId = chosen.id;
    return chosen;
  }

  private pin(key: string, credentialId: string, now: number): void {
    const entry = this.sticky.get(key);
    if (entry?.credentialId === credentialId) {
      entry.lastSeen = now;
      return;
    }
    if (entry) this.unpin(key);
    this.sticky.set(key, { credentialId, lastSeen: now });
    this.pinCounts.set(credentialId, (this.pinCounts.get(credentialId) ?? 0) + 1);
  }

  private unpin(key: string): void {
    const entry = this.sticky.get(key);
    if (!entry) return;
    this.sticky.delete(key);
    const left = (this.pinCounts.get(entry.credentialId) ?? 1) - 1;
    if (left > 0) this.pinCounts.set(entry.credentialId, left);
    else this.pinCounts.delete(entry.credentialId);
  }

  /** Drops the pins whose conversation has been quiet for the TTL (at most once a minute). */
  private sweep(now: number): void {
    if (now - this.lastSweep < STICKY_SWEEP_MS && now >= this.lastSweep) return;
    this.lastSweep = now;
    for (const [key, entry] of this.sticky) if (now - entry.lastSeen >= STICKY_TTL_MS) this.unpin(key);
  }
}
