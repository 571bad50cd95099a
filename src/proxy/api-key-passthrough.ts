import { ProxyError } from '../errors.js';
import type { Credential } from '../credentials/credential.js';
import type { Runtime } from '../runtime.js';
import { readBodyText } from '../upstream/stream-source.js';
import { sendUpstream, sendUpstreamForText, type UpstreamCall, type UpstreamResponse, type UpstreamText } from '../upstream/forward.js';
import { errorFromUpstream } from '../upstream/upstream-errors.js';
import { upstreamUrl } from './upstream-url.js';
import { quotaFromHeaders } from '../credentials/quota.js';
import type { CancelSignal } from '../upstream/cancel-signal.js';

/** Body keys that would let a request choose where credentials go; never forwarded. */
const ROUTING_KEYS = ['api_base', 'base_url', 'api_key', 'apiKey', 'api_base_url', 'baseURL', 'organization'];

/**
 * The client's body as sent upstream: the routed model, without routing keys. When neither needs a change, the
 * client's own bytes go on as they came (no second JSON.stringify on the hot path).
 */
export function passthroughBody(body: Record<string, unknown>, model: string, raw?: Buffer): string | Buffer {
  if (raw && body.model === model && !ROUTING_KEYS.some((key) => key in body)) return raw;
  const copy: Record<string, unknown> = { ...body, model };
  for (const key of ROUTING_KEYS) delete copy[key];
  return JSON.stringify(copy);
}

/** The upstream call for an API-key credential's OpenAI-compatible endpoint (`<base>/chat/completions` or `/responses`). */
function apiKeyCall(runtime: Runtime, credential: Credential, path: ApiKeyPath, body: string | Buffer, stream: boolean, signal: CancelSignal): { call: UpstreamCall; apiKey: string } {
  const secret = credential.secret;
  if (secret?.kind !== 'api_key') throw ProxyError.noCredentials(`credential '${credential.id}' is not an API-key credential`);
  const config = runtime.config();
  const call: UpstreamCall = {
    credentialId: credential.id,
    url: upstreamUrl(credential, config, path),
    method: 'POST',
    headers: {
      ...credential.extraHeaders,
      authorization: `Bearer ${secret.apiKey}`,
      'user-agent': `proxycast/${runtime.version}`,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
    },
    body,
    dispatcher: runtime.dispatcherFor(credential),
    signal,
    timeouts: { firstByteMs: config.upstream.first_byte_timeout_ms, idleMs: config.upstream.idle_timeout_ms },
  };
  return { call, apiKey: secret.apiKey };
}

type ApiKeyPath = '/chat/completions' | '/responses';

/** Sends a streamed request with an API key and returns the 2xx response unread, so its bytes can stream straight on. */
export async function forwardWithApiKey(runtime: Runtime, credential: Credential, path: ApiKeyPath, body: string | Buffer, signal: CancelSignal): Promise<UpstreamResponse> {
  const { call, apiKey } = apiKeyCall(runtime, credential, path, body, true, signal);
  const response = await sendUpstream(call);
  credential.quota = quotaFromHeaders(response.headers, runtime.deps.clock.now()) ?? credential.quota;
  if (response.status >= 400) {
    const text = await readBodyText(response.body);
    throw errorFromUpstream(credential.id, response.status, response.headers, text, runtime.deps.clock.now());
  }
  return { ...response, secrets: [apiKey] };
}

/** Sends a non-stream request with an API key and returns the 2xx answer read whole (an error status is thrown). */
export async function forwardJsonWithApiKey(runtime: Runtime, credential: Credential, path: ApiKeyPath, body: string | Buffer, signal: CancelSignal): Promise<UpstreamText & { secrets: readonly string[] }> {
  const { call, apiKey } = apiKeyCall(runtime, credential, path, body, false, signal);
  const answer = await sendUpstreamForText(call);
  credential.quota = quotaFromHeaders(answer.headers, runtime.deps.clock.now()) ?? credential.quota;
  if (answer.status >= 400) throw errorFromUpstream(credential.id, answer.status, answer.headers, answer.text, runtime.deps.clock.now());
  return { ...answer, secrets: [apiKey] };
}
