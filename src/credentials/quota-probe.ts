import { request } from 'undici';
import { readBodyText } from '../upstream/stream-source.js';
import type { Runtime } from '../runtime.js';
import { codexBackendHeaders } from '../proxy/codex-headers.js';
import { credentialBaseUrl } from '../proxy/upstream-url.js';
import type { Credential } from './credential.js';
import { applyProbe, probeDue, type ProbeVerdict } from './cooldown.js';
import { quotaFromHeaders, type QuotaSnapshot, type QuotaWindow } from './quota.js';
import { cooldownEnd } from './selection.js';

/**
 * Quota probes: a credential in a quota cooldown (a usage-limit 429, or a window reported at 100 %) is asked once
 * in a while — GET <chatgpt backend>/wham/usage with its own token, through its own proxy — whether its limit still
 * holds. A window below 100 % ends the cooldown at once instead of at the announced reset (the limit was lifted
 * early: a plan upgrade, a reset sooner than said); a window still spent moves the cooldown to the reset reported now.
 *
 * Bounded: per credential at most one probe per routing.quota_probe_interval_seconds (counted from the start of the
 * cooldown, then from the last probe), never two at once, and at most MAX_STARTS_PER_KICK started per request.
 * Probes are kicked by the requests themselves (the clock is the runtime's injected one, so tests are
 * deterministic), never by a timer of their own; a request that finds every credential out waits briefly for them.
 */

const MAX_STARTS_PER_KICK = 2;
const PROBE_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 256 * 1024;

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function usageWindow(value: unknown, now: number): QuotaWindow | undefined {
  const window = record(value);
  const usedPercent = num(window?.used_percent);
  if (!window || usedPercent === undefined) return undefined;
  const resetAt = num(window.reset_at);
  const resetAfter = num(window.reset_after_seconds);
  const seconds = num(window.limit_window_seconds);
  return {
    usedPercent,
    windowMinutes: seconds !== undefined ? Math.round(seconds / 60) : undefined,
    resetsAt: resetAt !== undefined ? resetAt * 1000 : resetAfter !== undefined ? now + resetAfter * 1000 : undefined,
  };
}

/** Reads the Codex usage body ({plan_type, rate_limit:{primary_window, secondary_window}}); undefined when it has no windows. */
export function quotaFromUsageBody(body: unknown, now: number): QuotaSnapshot | undefined {
  const root = record(body);
  const limits = record(root?.rate_limit);
  const primary = usageWindow(limits?.primary_window, now);
  const secondary = usageWindow(limits?.secondary_window, now);
  if (!primary && !secondary) return undefined;
  return { primary, secondary, plan: typeof root?.plan_type === 'string' ? root.plan_type : undefined, capturedAt: now };
}

/** The probe URL: <backend>/wham/usage for the usual `<backend>/codex` base, else the base's /models (headers only). */
export function probeUrl(base: string, clientVersion: string): { url: string; readsBody: boolean } {
  const trimmed = base.replace(/\/+$/, '');
  if (trimmed.endsWith('/codex')) return { url: `${trimmed.slice(0, -'/codex'.length)}/wham/usage`, readsBody: true };
  return { url: `${trimmed}/models?client_version=${encodeURIComponent(clientVersion)}`, readsBody: false };
}

/** One probe: the quota picture the upstream gives this credential now, or undefined when it could not say. */
async function fetchQuota(runtime: Runtime, credential: Credential): Promise<QuotaSnapshot | undefined> {
  const config = runtime.config();
  const secret = await runtime.oauthSecret(credential);
  const target = probeUrl(credentialBaseUrl(credential, config), config.codex.client_version);
  const timeout = Math.min(PROBE_TIMEOUT_MS, config.upstream.first_byte_timeout_ms);
  const response = await request(target.url, {
    method: 'GET',
    headers: { ...codexBackendHeaders(secret, config.codex.client_version, credential.extraHeaders), accept: 'application/json' },
    dispatcher: runtime.dispatcherFor(credential),
    headersTimeout: timeout,
    bodyTimeout: timeout,
    signal: AbortSignal.timeout(2 * timeout),
  });
  const text = await readBodyText(response.body, MAX_BODY_BYTES);
  if (response.statusCode < 200 || response.statusCode >= 300) return undefined;
  const now = runtime.deps.clock.now();
  let fromBody: QuotaSnapshot | undefined;
  if (target.readsBody) {
    try {
      fromBody = quotaFromUsageBody(JSON.parse(text), now);
    } catch {
      fromBody = undefined;
    }
  }
  return fromBody ?? quotaFromHeaders(response.headers, now);
}

/** The probe bookkeeping of one pool. */
export class QuotaProber {
  private readonly lastProbeAt = new Map<string, number>();
  private readonly running = new Map<string, Promise<ProbeVerdict | undefined>>();

  constructor(private readonly runtime: Runtime) {}

  /** Starts the probes that are due now (at most MAX_STARTS_PER_KICK); returns the ones running, started or not. */
  kick(now: number): Promise<unknown>[] {
    const intervalMs = this.runtime.config().routing.quota_probe_interval_seconds * 1000;
    let started = 0;
    for (const credential of this.runtime.pool.list()) {
      if (started >= MAX_STARTS_PER_KICK) break;
      if (this.running.has(credential.id)) continue;
      if (!probeDue(credential, now, this.lastProbeAt.get(credential.id), intervalMs, cooldownEnd(credential, now))) continue;
      started += 1;
      this.lastProbeAt.set(credential.id, now);
      const probe = this.probe(credential).finally(() => this.running.delete(credential.id));
      this.running.set(credential.id, probe);
    }
    return [...this.running.values()];
  }

  /** The probes running now, for a request that found every credential out and may wait for them. */
  pending(): Promise<unknown>[] {
    return [...this.running.values()];
  }

  private async probe(credential: Credential): Promise<ProbeVerdict | undefined> {
    const logger = this.runtime.deps.logger;
    try {
      const quota = await fetchQuota(this.runtime, credential);
      if (!quota) {
        logger.debug({ credential: credential.id }, 'quota probe gave no quota picture; the cooldown stays');
        return undefined;
      }
      const verdict = applyProbe(credential, quota, this.runtime.deps.clock.now());
      if (verdict === 'cleared') logger.info({ credential: credential.id }, 'quota probe: the limit was lifted before its reset; the credential is back in rotation');
      else logger.debug({ credential: credential.id, until: cooldownEnd(credential, this.runtime.deps.clock.now()) }, 'quota probe: still at its limit');
      return verdict;
    } catch (error) {
      logger.debug({ credential: credential.id, err: (error as Error).message }, 'quota probe failed; the cooldown stays');
      return undefined;
    }
  }
}

const probers = new WeakMap<object, QuotaProber>();

/** The prober of a runtime's pool (one per pool, so a per-request view of the runtime shares it). */
export function quotaProberFor(runtime: Runtime): QuotaProber {
  let prober = probers.get(runtime.pool);
  if (!prober) {
    prober = new QuotaProber(runtime);
    probers.set(runtime.pool, prober);
  }
  return prober;
}
