import type { Credential } from '../credentials/credential.js';
import type { TokenUsage } from '../metrics/usage.js';
import { routeModel } from '../routing/router.js';
import type { Runtime } from '../runtime.js';
import type { CancelSignal } from '../upstream/cancel-signal.js';
import type { PreparedAnswer } from './answer.js';
import { releaseWhenDone, withCredentialAttempts, withRequestConfig } from './attempts.js';
import { oauthUpstreamModel } from './oauth-model.js';

/** What a handler hands down with a request: the client's abort signal and the hooks that feed its log line and metrics. */
export interface RequestTrace {
  signal: CancelSignal;
  onUsage: (usage: TokenUsage) => void;
  onCredential: (credential: Credential) => void;
  /** The body's bytes as the client sent them, when it had one. */
  rawBody?: Buffer | undefined;
  /** The client's session_id header, if any (sticky sessions and the upstream session). */
  sessionId?: string | undefined;
}

export interface ProxiedAnswer {
  answer: PreparedAnswer;
  credential: Credential;
  upstreamModel: string;
}

/** How one endpoint talks to each kind of credential; the runtime handed in carries the request's own config. */
export interface EndpointRoutes {
  /** The requested model, as the client named it. */
  model: string;
  /** The conversation's key for sticky sessions (client key, else derived); undefined when the body cannot tell. */
  conversationKey(): string | undefined;
  viaApiKey(runtime: Runtime, credential: Credential): Promise<PreparedAnswer>;
  viaCodex(runtime: Runtime, credential: Credential, upstreamModel: string): Promise<PreparedAnswer>;
}

/**
 * The pipeline both endpoints share: fix the config for this request, route the model, then try credentials (sticky
 * to the conversation) until one answers; the credential stays held until the answer ends.
 */
export async function proxyThroughPool(live: Runtime, trace: RequestTrace, routes: EndpointRoutes): Promise<ProxiedAnswer> {
  const runtime = withRequestConfig(live);
  routeModel(routes.model, runtime.config().routing.rules);
  let upstreamModel = routes.model;
  // Lazy: the pool asks for it only when it has more than one credential to choose from (hashing costs ~18 µs).
  const stickyKey = trace.sessionId ?? memoised(() => routes.conversationKey());
  const { value, credential, release } = await withCredentialAttempts(runtime, { signal: trace.signal, onCredential: trace.onCredential, stickyKey }, async (candidate) => {
    if (candidate.kind === 'api_key') {
      upstreamModel = routes.model;
      return routes.viaApiKey(runtime, candidate);
    }
    upstreamModel = oauthUpstreamModel(runtime, candidate, routes.model);
    return routes.viaCodex(runtime, candidate, upstreamModel);
  });
  return { answer: releaseWhenDone(value, release, trace.signal), credential, upstreamModel };
}

/** Runs `read` once and keeps its value (or rethrows its error on every call). */
export function memoised<T>(read: () => T): () => T {
  let outcome: { value: T } | { error: unknown } | undefined;
  return () => {
    if (!outcome) {
      try {
        outcome = { value: read() };
      } catch (error) {
        outcome = { error };
      }
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  };
}

/** The value of `read`, or undefined when it throws (a body that does not parse has no conversation key). */
export function valueOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The client's own prompt_cache_key, when it sent one. */
export function clientCacheKey(body: Readonly<Record<string, unknown>>): string | undefined {
  return typeof body.prompt_cache_key === 'string' && body.prompt_cache_key.length > 0 ? body.prompt_cache_key : undefined;
}
