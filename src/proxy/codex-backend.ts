import type { Credential } from '../credentials/credential.js';
import { ProxyError } from '../errors.js';
import { quotaFromHeaders } from '../credentials/quota.js';
import type { Runtime } from '../runtime.js';
import type { CancelSignal } from '../upstream/cancel-signal.js';
import { readSourceText, sendUpstreamStreaming, type UpstreamStream } from '../upstream/stream-source.js';
import { errorFromUpstream } from '../upstream/upstream-errors.js';
import type { ResponsesRequestBody } from '../wire/responses.js';
import { codexBackendHeaders } from './codex-headers.js';
import { upstreamUrl } from './upstream-url.js';

/**
 * POSTs a Responses body to `<chatgpt base>/responses` with an OAuth credential and returns the 2xx stream unread.
 * An upstream 401 triggers the token manager's guarded refresh once and one retry, before any byte went to the
 * client; any other error status becomes the catalogue error (credential id in the message).
 */
export async function openCodexStream(
  runtime: Runtime,
  credential: Credential,
  body: ResponsesRequestBody,
  sessionId: string,
  signal: CancelSignal,
): Promise<UpstreamStream> {
  const config = runtime.config();
  const payload = JSON.stringify(body);
  let secret = await runtime.oauthSecret(credential);
  for (let attempt = 0; ; attempt += 1) {
    const response = await sendUpstreamStreaming({
      credentialId: credential.id,
      url: upstreamUrl(credential, config, '/responses'),
      method: 'POST',
      headers: {
        ...codexBackendHeaders(secret, config.codex.client_version, credential.extraHeaders),
        session_id: sessionId,
        accept: 'text/event-stream',
        'content-type': 'application/json',
      },
      body: payload,
      dispatcher: runtime.dispatcherFor(credential),
      signal,
      timeouts: { firstByteMs: config.upstream.first_byte_timeout_ms, idleMs: config.upstream.idle_timeout_ms },
    });
    credential.quota = quotaFromHeaders(response.headers, runtime.deps.clock.now()) ?? credential.quota;
    if (response.status < 400) {
      if (!/text\/html/i.test(String(response.headers['content-type'] ?? ''))) return response;
      // A captive portal or CDN block page, not the backend: say so instead of "the stream closed early".
      response.source.destroy();
      throw ProxyError.upstreamError(credential.id, 502, `${response.status} with an HTML page instead of an event stream`);
    }
    const text = await readSourceText(response.source);
    if (response.status === 401 && attempt === 0) {
      runtime.deps.logger.info({ credential: credential.id }, 'upstream said 401; refreshing the token once and retrying');
      secret = await runtime.oauthSecret(credential, { rejectedAccessToken: secret.accessToken });
      continue;
    }
    throw errorFromUpstream(credential.id, response.status, response.headers, text, runtime.deps.clock.now());
  }
}
