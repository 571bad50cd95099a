import { ProxyError } from '../errors.js';
import type { Credential } from '../credentials/credential.js';
import type { Runtime } from '../runtime.js';
import { readBodyText, sendUpstream, type UpstreamResponse } from '../upstream/forward.js';
import { errorFromUpstream } from '../upstream/upstream-errors.js';
import { upstreamUrl } from './upstream-url.js';
import { quotaFromHeaders } from '../credentials/quota.js';

/** Body keys that would let a request choose where credentials go; never forwarded. */
const ROUTING_KEYS = ['api_base', 'base_url', 'api_key', 'apiKey', 'api_base_url', 'baseURL', 'organization'];

/** The client's body as sent upstream: the routed model, without routing keys. */
export function passthroughBody(body: Record<string, unknown>, model: string): string {
  const copy: Record<string, unknown> = { ...body, model };
  for (const key of ROUTING_KEYS) delete copy[key];
  return JSON.stringify(copy);
}

/**
 * Sends a JSON body to an API-key credential's OpenAI-compatible upstream (`<base>/chat/completions` or
 * `<base>/responses`) and returns the 2xx response unread, so its bytes can stream straight to the client.
 */
export async function forwardWithApiKey(
  runtime: Runtime,
  credential: Credential,
  path: '/chat/completions' | '/responses',
  body: string,
  stream: boolean,
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  const secret = credential.secret;
  if (secret?.kind !== 'api_key') throw ProxyError.noCredentials(`credential '${credential.id}' is not an API-key credential`);
  const config = runtime.config();
  const response = await sendUpstream({
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
  });
  credential.quota = quotaFromHeaders(response.headers, runtime.deps.clock.now()) ?? credential.quota;
  if (response.status >= 400) {
    const text = await readBodyText(response.body);
    throw errorFromUpstream(credential.id, response.status, response.headers, text, runtime.deps.clock.now());
  }
  return { ...response, secrets: [secret.apiKey] };
}
