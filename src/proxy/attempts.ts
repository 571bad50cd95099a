import { ProxyError } from '../errors.js';
import { transportError } from '../upstream/forward.js';
import type { Credential } from '../credentials/credential.js';
import { coolDownAfter, noteSuccess } from '../credentials/cooldown.js';
import { quotaProberFor } from '../credentials/quota-probe.js';
import type { Runtime } from '../runtime.js';
import type { StickyKey } from '../credentials/pool.js';
import type { CancelSignal } from '../upstream/cancel-signal.js';
import type { PreparedAnswer } from './answer.js';

export interface AttemptOptions {
  stickyKey?: StickyKey | undefined;
  /** Only credentials of this kind, when the endpoint needs one (undefined: any). */
  filter?: ((credential: Credential) => boolean) | undefined;
  signal: CancelSignal;
  /** Told of each credential as it is tried (the request log and metrics name the last one). */
  onCredential?: ((credential: Credential) => void) | undefined;
}

export interface AttemptResult<T> {
  value: T;
  credential: Credential;
  /** Ends the request's hold on the credential (idempotent); call it when the answer is finished or abandoned. */
  release: () => void;
}

/** How long a request that finds every credential out waits for the quota probes already running. */
const PROBE_WAIT_MS = 5_000;

/**
 * Upstream codes that are the request's fault whatever status they came with (some arrive in a `response.failed`
 * event that is otherwise read as a server error): the same request fails on every account, so it is returned at
 * once, as a 400, and cools nothing down.
 */
const REQUEST_FAULT_CODES = new Set([
  'context_length_exceeded', 'content_policy_violation', 'content_filter', 'invalid_prompt', 'cyber_policy',
  'image_content_policy_violation', 'invalid_image', 'invalid_image_format', 'invalid_base64_image', 'invalid_image_url',
  'image_too_large', 'image_too_small', 'image_parse_error', 'invalid_image_mode', 'image_file_too_large',
  'unsupported_image_media_type', 'empty_image_file', 'failed_to_download_image', 'image_file_not_found',
  'string_above_max_length', 'invalid_value',
]);

/** True for socket and undici errors (ECONNRESET, UND_ERR_SOCKET, …), which carry a string code. */
function isTransportError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('E') || code.startsWith('UND_ERR'));
}

/** A thrown value as a ProxyError, with a request fault that looked like a credential fault put right. */
export function classifyAttemptError(error: unknown, credentialId: string): ProxyError {
  // Transport errors normally arrive as ProxyErrors already; a stray one (it has a socket or undici code) is still the
  // upstream's. Anything else is our own bug: a 500 that blames no credential and shows the client no internals.
  if (!(error instanceof ProxyError)) return isTransportError(error) ? transportError(credentialId, error) : ProxyError.internal();
  const proxyError = error;
  if (!REQUEST_FAULT_CODES.has(proxyError.code) || (!proxyError.credentialFault && proxyError.status < 500)) return proxyError;
  return new ProxyError({ status: 400, type: 'invalid_request_error', code: proxyError.code, message: proxyError.message, param: proxyError.param });
}

const BASE = Symbol('proxycast.baseRuntime');

/** The runtime a per-request view was made from (the runtime itself when it is not a view). */
function baseOf(runtime: Runtime): Runtime {
  return (runtime as Runtime & { [BASE]?: Runtime })[BASE] ?? runtime;
}

/**
 * A view of the runtime whose config() is the config in force now, for the whole of one request: a hot reload
 * during the request (between two failover attempts, say) applies to the next request, not to this one. Everything
 * else (pool, token manager, dispatchers) is the live runtime's.
 */
export function withRequestConfig(runtime: Runtime): Runtime {
  const base = baseOf(runtime);
  const config = base.config();
  // One view per config object: requests under the same config share it (a reload makes a new config, so a new view).
  const cached = views.get(base);
  if (cached?.config === config) return cached.view;
  const view = Object.create(base, { config: { value: () => config }, [BASE]: { value: base } }) as Runtime;
  views.set(base, { config, view });
  return view;
}

const views = new WeakMap<Runtime, { config: ReturnType<Runtime['config']>; view: Runtime }>();

/**
 * Runs `attempt` on one credential after another until one succeeds, before any byte reaches the client.
 * A credential fault (429, 401/403 after the refresh retry, 5xx, transport, timeout) cools that credential down and
 * moves on, at most routing.max_attempts times; a request fault (bad input) is thrown at once and cools nothing.
 * When no credential is left, due quota probes get a few seconds to bring one back before the one error is thrown.
 */
export async function withCredentialAttempts<T>(
  runtime: Runtime,
  options: AttemptOptions,
  attempt: (credential: Credential) => Promise<T>,
): Promise<AttemptResult<T>> {
  const tried = new Set<string>();
  const failures: ProxyError[] = [];
  const maxAttempts = runtime.config().routing.max_attempts;
  const clock = runtime.deps.clock;
  const prober = quotaProberFor(baseOf(runtime));
  prober.kick(clock.now());
  let waitedForProbes = false;
  for (let round = 0; round < maxAttempts; ) {
    if (options.signal.aborted) throw ProxyError.internal();
    const credential = runtime.pool.pick(clock.now(), { exclude: tried, stickyKey: options.stickyKey, ...(options.filter ? { filter: options.filter } : {}) });
    if (!credential) {
      if (waitedForProbes || !(await waitForProbes(prober.kick(clock.now())))) break;
      waitedForProbes = true;
      continue;
    }
    round += 1;
    tried.add(credential.id);
    credential.stats.requests += 1;
    options.onCredential?.(credential);
    const release = runtime.pool.acquire(credential.id);
    try {
      const value = await attempt(credential);
      noteSuccess(credential, clock.now());
      return { value, credential, release };
    } catch (error) {
      release();
      if (!(error instanceof ProxyError) && !isTransportError(error)) runtime.deps.logger.error({ credential: credential.id, err: error }, 'internal error while serving a request');
      const proxyError = classifyAttemptError(error, credential.id);
      if (!proxyError.credentialFault || options.signal.aborted) throw proxyError;
      coolDownAfter(credential, proxyError, clock.now());
      runtime.metrics.failovers.inc({ credential: credential.id, code: proxyError.code });
      runtime.deps.logger.warn({ credential: credential.id, code: proxyError.code, status: proxyError.status }, 'credential failed; trying the next one');
      failures.push(proxyError);
    }
  }
  throw exhaustedError(runtime, failures, tried);
}

/** Waits (bounded) for running probes; true when there were any, so the pool is worth asking again. */
async function waitForProbes(pending: Promise<unknown>[]): Promise<boolean> {
  if (pending.length === 0) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, PROBE_WAIT_MS);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(pending), timeout]);
  clearTimeout(timer);
  return true;
}

/**
 * The prepared answer with the credential's hold released when it is done: at once for a JSON body, when the SSE
 * frames end, fail or are abandoned (the writer stops iterating), or when the client goes away.
 */
export function releaseWhenDone(answer: PreparedAnswer, release: () => void, signal: CancelSignal): PreparedAnswer {
  if (answer.kind !== 'sse') {
    release();
    return answer;
  }
  signal.addEventListener('abort', release, { once: true });
  const frames = answer.frames;
  return {
    kind: 'sse',
    frames: {
      [Symbol.asyncIterator]() {
        const iterator = frames[Symbol.asyncIterator]();
        return {
          async next() {
            try {
              const item = await iterator.next();
              if (item.done) release();
              return item;
            } catch (error) {
              release();
              throw error;
            }
          },
          async return(value?: unknown) {
            release();
            return (await iterator.return?.(value)) ?? { done: true as const, value: undefined };
          },
        };
      },
    },
  };
}

/** The one error for "no credential could serve this": the only failure as is, 429 if all are limited, else 503. */
function exhaustedError(runtime: Runtime, failures: ProxyError[], tried: ReadonlySet<string>): ProxyError {
  const now = runtime.deps.clock.now();
  const exhaustion = runtime.pool.exhaustion(now, tried);
  const [onlyFailure] = failures;
  if (failures.length === 1 && onlyFailure && runtime.pool.list().length === 1) return onlyFailure;
  const limited = failures.length > 0 && failures.every((failure) => failure.code === 'usage_limit_reached');
  if ((limited || (failures.length === 0 && exhaustion.allLimited)) && exhaustion.earliestResetMs !== undefined) {
    return ProxyError.usageLimit(exhaustion.ids, exhaustion.earliestResetMs, now);
  }
  const needsLogin = runtime.pool.list().filter((credential) => credential.state === 'needs_login');
  if (failures.length === 0 && needsLogin.length > 0 && needsLogin.length === runtime.pool.list().filter((c) => !c.disabled).length) {
    const first = needsLogin[0]!;
    return ProxyError.needsLogin(first.id, first.reason ?? 'its refresh failed for good', 401);
  }
  return ProxyError.noCredentials(exhaustion.summary);
}
