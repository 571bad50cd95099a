import { ProxyError } from '../errors.js';
import type { Credential } from '../credentials/credential.js';
import { coolDownAfter, noteSuccess } from '../credentials/cooldown.js';
import type { Runtime } from '../runtime.js';

export interface AttemptOptions {
  stickyKey?: string | undefined;
  /** Only credentials of this kind, when the endpoint needs one (undefined: any). */
  filter?: ((credential: Credential) => boolean) | undefined;
  signal: AbortSignal;
  /** Told of each credential as it is tried (the request log and metrics name the last one). */
  onCredential?: ((credential: Credential) => void) | undefined;
}

export interface AttemptResult<T> {
  value: T;
  credential: Credential;
}

/**
 * Runs `attempt` on one credential after another until one succeeds, before any byte reaches the client.
 * A credential fault (429, 401/403 after the refresh retry, 5xx, transport, timeout) cools that credential down and
 * moves on, at most routing.max_attempts times; a request fault (bad input) is thrown at once and cools nothing.
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
  for (let round = 0; round < maxAttempts; round += 1) {
    if (options.signal.aborted) throw ProxyError.internal();
    const credential = runtime.pool.pick(clock.now(), { exclude: tried, stickyKey: options.stickyKey, ...(options.filter ? { filter: options.filter } : {}) });
    if (!credential) break;
    tried.add(credential.id);
    credential.stats.requests += 1;
    options.onCredential?.(credential);
    try {
      const value = await attempt(credential);
      noteSuccess(credential, clock.now());
      return { value, credential };
    } catch (error) {
      const proxyError = error instanceof ProxyError ? error : ProxyError.upstreamUnavailable(credential.id, String((error as Error)?.message ?? error));
      if (!proxyError.credentialFault || options.signal.aborted) throw proxyError;
      coolDownAfter(credential, proxyError, clock.now());
      runtime.metrics.failovers.inc({ credential: credential.id, code: proxyError.code });
      runtime.deps.logger.warn({ credential: credential.id, code: proxyError.code, status: proxyError.status }, 'credential failed; trying the next one');
      failures.push(proxyError);
    }
  }
  throw exhaustedError(runtime, failures, tried);
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
