import crypto from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import type { Clock } from '../deps.js';
import { ProxyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { CODEX_ORIGINATOR, codexUserAgent } from '../proxy/codex-headers.js';
import { maskSecret, scrubSecrets } from '../redact.js';
import { BackgroundTimer, type TimerApi } from './background-timer.js';
import type { Credential } from './credential.js';
import { refreshAccessToken, RefreshError, type RefreshedTokens } from './refresh.js';
import { accessTokenExpiry, isDueForRefresh, isStillValid, tokensDiffer } from './token-expiry.js';
import { markRefreshing, settleFresh, settleNeedsLogin, settleTransient, settleUnreadable, type Lifecycle } from './token-states.js';
import { readTokenFileSteady, snapshotOf } from './token-store.js';
import { syncTokens, type SyncOutcome } from './token-sync.js';
import type { CredentialSecret, OAuthSecret } from './types.js';

/** How each refresh attempt ended, for proxycast_refreshes_total{credential,outcome}. */
export type RefreshOutcome = 'success' | 'adopted' | 'transient_failure' | 'permanent_failure';

/** What the token manager is handed. */
export interface TokenManagerOptions {
  clock: Clock;
  logger: Logger;
  getConfig: () => Pick<Config, 'codex'>;
  /** The undici dispatcher for this credential (its proxy_url, else the shared one); the refresh goes through it. */
  dispatcherFor: (credential: Credential) => Dispatcher;
  onRefresh?: (credential: Credential, outcome: RefreshOutcome) => void;
  timers?: TimerApi;
}

/** Per call: `rejectedAccessToken` is the token the upstream just answered 401 to. */
export interface AccessTokenOptions {
  forceRefresh?: boolean;
  rejectedAccessToken?: string;
}

/** How the background refresher runs. */
export interface BackgroundOptions {
  credentials: () => Iterable<Credential>;
  /** Time between passes; a pass refreshes what expires within the margin plus two intervals. Default 60 s. */
  intervalMs?: number;
}

function fingerprint(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/**
 * The OAuth token lifecycle: refresh near expiry or after an upstream 401, once per credential however many
 * callers wait (single flight), under the token file's lock, re-reading the file first so a refresh by the Codex CLI
 * or another proxycast is adopted instead of repeated. A refresh token that failed for good is never sent again.
 */
export class TokenManager {
  private readonly lifecycles = new WeakMap<Credential, Lifecycle>();
  /** Permanent failures by refresh-token fingerprint. */
  private readonly dead = new Map<string, RefreshError>();
  private readonly background: BackgroundTimer;

  constructor(private readonly options: TokenManagerOptions) {
    this.background = new BackgroundTimer(options.timers);
  }

  /** The secret to send: API keys as they are, OAuth tokens via getAccessToken. */
  async getSecret(credential: Credential, options: AccessTokenOptions = {}): Promise<CredentialSecret> {
    const secret = await this.loadedSecret(credential);
    return secret.kind === 'oauth' ? this.getAccessToken(credential, options) : secret;
  }

  /**
   * A usable OAuth secret: the current one when it is not within refresh_margin_seconds of expiry (and is not the
   * `rejectedAccessToken`), else the result of the one shared refresh. Throws ProxyError.needsLogin when the login is
   * gone, ProxyError.upstreamUnavailable when the token expired and the token endpoint cannot be reached.
   */
  async getAccessToken(credential: Credential, options: AccessTokenOptions = {}): Promise<OAuthSecret> {
    const secret = await this.loadedSecret(credential);
    if (secret.kind !== 'oauth') throw new TypeError(`credential '${credential.id}' holds an API key, which is never refreshed`);
    if (!this.wantsRefresh(secret, options)) return secret;
    const life = this.lifecycle(credential);
    if (!life.inflight) {
      const flight = this.refreshOnce(credential, secret, options);
      life.inflight = flight;
      void flight.then(
        () => (life.inflight = undefined),
        () => (life.inflight = undefined),
      );
    }
    return life.inflight as Promise<OAuthSecret>;
  }

  /**
   * Re-reads the token file; when it holds other tokens (a new login, another program's refresh) they are taken
   * and a needs_login/invalid credential becomes active again. Returns true when something was taken.
   */
  async reloadIfChanged(credential: Credential): Promise<boolean> {
    if (credential.state === 'invalid' && !invalidBecauseOfFile(credential)) return false;
    const read = await readTokenFileSteady(credential.tokenFile);
    if (!read.ok) return false;
    const broken = credential.state === 'needs_login' || credential.state === 'invalid';
    if (credential.secret && credential.file?.text === read.text && !broken) return false;
    const next = read.parsed.secret;
    credential.file = snapshotOf(read.parsed, read.text);
    if (next.kind === 'oauth' && this.dead.has(fingerprint(next.refreshToken))) return false;
    if (!broken && credential.secret && sameSecret(credential.secret, next)) return false;
    credential.secret = next;
    credential.kind = next.kind;
    settleFresh(credential, this.lifecycle(credential));
    this.options.logger.info({ credential: credential.id, file: credential.tokenFile }, 'token file changed; using its tokens');
    return true;
  }

  /** Starts the background refresher (a timer that never keeps the process alive). */
  start(options: BackgroundOptions): void {
    const intervalMs = options.intervalMs ?? 60_000;
    this.background.start(intervalMs, () => this.runBackgroundPass(options.credentials(), 2 * intervalMs));
  }

  /** Stops the background refresher. */
  stop(): void {
    this.background.stop();
  }

  /**
   * One background pass: refreshes OAuth credentials that expire within the margin plus `leadMs`, and re-reads the
   * files of needs_login/invalid ones. Never throws.
   */
  async runBackgroundPass(credentials: Iterable<Credential>, leadMs = 0): Promise<void> {
    const now = this.options.clock.now();
    const jobs: Promise<unknown>[] = [];
    for (const credential of credentials) {
      if (credential.disabled || credential.secret?.kind === 'api_key') continue;
      if (credential.state === 'needs_login' || credential.state === 'invalid') {
        jobs.push(this.reloadIfChanged(credential));
        continue;
      }
      const secret = credential.secret;
      const life = this.lifecycle(credential);
      if (!secret || (life.nextAttemptAt !== undefined && now < life.nextAttemptAt)) continue;
      if (isDueForRefresh(secret, now, this.marginMs() + leadMs)) jobs.push(this.getAccessToken(credential, { forceRefresh: true }));
    }
    const results = await Promise.allSettled(jobs);
    for (const result of results) {
      if (result.status === 'rejected') this.options.logger.debug({ err: scrubSecrets(String(result.reason)) }, 'background refresh failed');
    }
  }

  private lifecycle(credential: Credential): Lifecycle {
    let life = this.lifecycles.get(credential);
    if (!life) {
      life = { transientFailures: 0 };
      this.lifecycles.set(credential, life);
    }
    return life;
  }

  private marginMs(): number {
    return this.options.getConfig().codex.refresh_margin_seconds * 1000;
  }

  /** The credential's secret, loading the file first when there is none yet or the credential waits for a login. */
  private async loadedSecret(credential: Credential): Promise<CredentialSecret> {
    if (!credential.secret || credential.state === 'needs_login' || credential.state === 'invalid') await this.reloadIfChanged(credential);
    if (credential.state === 'needs_login' || credential.state === 'invalid') {
      throw ProxyError.needsLogin(credential.id, credential.reason ?? `the credential is ${credential.state}`);
    }
    if (!credential.secret) throw ProxyError.needsLogin(credential.id, `no token could be read from ${credential.tokenFile}`);
    return credential.secret;
  }

  private wantsRefresh(secret: OAuthSecret, options: AccessTokenOptions): boolean {
    if (options.rejectedAccessToken !== undefined && options.rejectedAccessToken === secret.accessToken) return true;
    return options.forceRefresh === true || isDueForRefresh(secret, this.options.clock.now(), this.marginMs());
  }

  private async refreshOnce(credential: Credential, held: OAuthSecret, options: AccessTokenOptions): Promise<OAuthSecret> {
    const life = this.lifecycle(credential);
    if (life.nextAttemptAt !== undefined && this.options.clock.now() < life.nextAttemptAt) return this.duringBackoff(credential, options);
    markRefreshing(credential, life);
    let outcome: SyncOutcome;
    try {
      outcome = await syncTokens({
        file: credential.tokenFile,
        held,
        now: () => this.options.clock.now(),
        stillDue: (secret) => isDueForRefresh(secret, this.options.clock.now(), this.marginMs()),
        knownDead: (refreshToken) => this.dead.get(fingerprint(refreshToken)),
        refresh: (refreshToken) => this.callTokenEndpoint(credential, refreshToken),
      });
    } catch (error) {
      outcome = { kind: 'failed', error: new RefreshError('transient', `could not lock ${credential.tokenFile} (${(error as Error).message})`) };
    }
    return this.settle(credential, held, outcome, options);
  }

  private async callTokenEndpoint(credential: Credential, refreshToken: string): Promise<RefreshedTokens> {
    const codex = this.options.getConfig().codex;
    this.options.logger.info({ credential: credential.id, presented: maskSecret(refreshToken) }, 'refreshing the access token');
    const tokens = await refreshAccessToken({
      issuer: codex.oauth_issuer,
      refreshToken,
      dispatcher: this.options.dispatcherFor(credential),
      now: this.options.clock.now(),
      headers: { originator: CODEX_ORIGINATOR, 'user-agent': codexUserAgent(codex.client_version) },
    });
    if (tokens.warning) this.options.logger.warn({ credential: credential.id, why: scrubSecrets(tokens.warning) }, 'token answer failed openid-client checks; its tokens were kept');
    return tokens;
  }

  private settle(credential: Credential, held: OAuthSecret, outcome: SyncOutcome, options: AccessTokenOptions): OAuthSecret {
    const life = this.lifecycle(credential);
    const now = this.options.clock.now();
    const log = this.options.logger;
    switch (outcome.kind) {
      case 'adopted':
      case 'refreshed': {
        credential.secret = outcome.secret;
        credential.kind = outcome.secret.kind;
        if (outcome.snapshot) credential.file = outcome.snapshot;
        settleFresh(credential, life);
        if (outcome.kind === 'refreshed') {
          credential.stats.lastRefreshAt = now;
          credential.stats.lastRefreshError = undefined;
          if (!outcome.written) log.warn({ credential: credential.id, why: outcome.notWrittenBecause }, 'refreshed tokens could not be written back; kept in memory');
        }
        log.info({ credential: credential.id, access: maskSecret(outcome.secret.kind === 'oauth' ? outcome.secret.accessToken : outcome.secret.apiKey) }, outcome.kind === 'adopted' ? 'took newer tokens from the token file' : 'access token refreshed');
        this.options.onRefresh?.(credential, outcome.kind === 'adopted' ? 'adopted' : 'success');
        if (outcome.secret.kind !== 'oauth') throw new TypeError(`credential '${credential.id}' now holds an API key`);
        return outcome.secret;
      }
      case 'unreadable':
        settleUnreadable(credential, life, outcome.reason, outcome.missing);
        throw ProxyError.needsLogin(credential.id, credential.reason ?? outcome.reason);
      case 'failed':
        return this.settleFailure(credential, held, outcome, options);
    }
  }

  private settleFailure(credential: Credential, held: OAuthSecret, outcome: Extract<SyncOutcome, { kind: 'failed' }>, options: AccessTokenOptions): OAuthSecret {
    const life = this.lifecycle(credential);
    const now = this.options.clock.now();
    if (outcome.adopted) {
      credential.secret = outcome.adopted.secret;
      credential.file = outcome.adopted.snapshot;
    }
    const presented = outcome.adopted?.secret ?? held;
    const error = outcome.error;
    if (error.kind === 'permanent') {
      this.dead.set(fingerprint(presented.refreshToken), error);
      settleNeedsLogin(credential, life, error.message);
      this.options.logger.warn({ credential: credential.id, presented: maskSecret(presented.refreshToken), code: error.code }, 'refresh failed for good; the credential needs a new login');
      this.options.onRefresh?.(credential, 'permanent_failure');
      throw ProxyError.needsLogin(credential.id, credential.reason ?? error.message);
    }
    settleTransient(credential, life, presented, error, now);
    this.options.logger.warn({ credential: credential.id, why: error.message, retryAt: life.nextAttemptAt }, 'refresh failed; will retry');
    this.options.onRefresh?.(credential, 'transient_failure');
    return this.servableOrThrow(credential, presented, options, error.message);
  }

  /** Inside the backoff window: take a changed file, else serve the current token while it is valid. */
  private async duringBackoff(credential: Credential, options: AccessTokenOptions): Promise<OAuthSecret> {
    await this.reloadIfChanged(credential);
    const secret = credential.secret;
    if (!secret || secret.kind !== 'oauth') throw ProxyError.needsLogin(credential.id, credential.reason ?? 'the token file changed');
    return this.servableOrThrow(credential, secret, options, credential.stats.lastRefreshError ?? 'the last refresh failed');
  }

  private servableOrThrow(credential: Credential, secret: OAuthSecret, options: AccessTokenOptions, why: string): OAuthSecret {
    const now = this.options.clock.now();
    if (isStillValid(secret, now) && secret.accessToken !== options.rejectedAccessToken) return secret;
    const expiry = accessTokenExpiry(secret);
    const state = expiry !== undefined && expiry <= now ? `the access token expired at ${new Date(expiry).toISOString()}` : 'the upstream rejected the access token';
    throw ProxyError.upstreamUnavailable(credential.id, `${state} and refreshing it failed: ${why}`);
  }
}

/**
 * True when `invalid` came from the token file's content (readTokenFile reasons start "token file "), which a new
 * file can fix; not when the config entry itself is wrong (e.g. a token_file outside auth_dir).
 */
function invalidBecauseOfFile(credential: Credential): boolean {
  return credential.reason?.startsWith('token file ') ?? false;
}

function sameSecret(a: CredentialSecret, b: CredentialSecret): boolean {
  if (a.kind === 'oauth' && b.kind === 'oauth') return !tokensDiffer(a, b);
  if (a.kind === 'api_key' && b.kind === 'api_key') return a.apiKey === b.apiKey;
  return false;
}
