import { ProxyError } from '../errors.js';
import { transportError, type UpstreamResponse } from '../upstream/forward.js';

const DONE_MARK = 'data: [DONE]';

/**
 * Yields an OpenAI-compatible upstream's SSE bytes unchanged, as they arrive. A stream that breaks, or ends without
 * `data: [DONE]`, throws so the client gets an SSE error frame instead of a stream that looks finished.
 */
export async function* passThroughSse(credentialId: string, response: UpstreamResponse): AsyncGenerator<Uint8Array> {
  let tail = '';
  let sawDone = false;
  try {
    for await (const chunk of response.body) {
      const bytes = chunk as Buffer;
      const window = tail + bytes.toString('latin1');
      if (window.includes(DONE_MARK)) sawDone = true;
      tail = window.slice(-DONE_MARK.length);
      yield bytes;
    }
  } catch (error) {
    const cause = transportError(credentialId, error);
    throw ProxyError.streamInterrupted(credentialId, cause.message);
  }
  if (!sawDone) throw ProxyError.streamInterrupted(credentialId, 'the upstream closed the stream without data: [DONE]');
}
