import { tokenUsageFromResponses, type TokenUsage } from '../metrics/usage.js';
import { failureFromEvent, upstreamFailureToProxyError, type FailureContext } from '../translate/upstream-failure.js';
import { ProxyError } from '../errors.js';
import { scrubSecrets } from '../redact.js';
import type { ResponsesStreamEvent } from '../wire/responses.js';
import type { CodexEventReader } from './codex-events.js';
import { FinalFrame } from '../http/sse-writer.js';

const TERMINAL = new Set(['response.completed', 'response.incomplete']);

/** An event that means the answer has begun (anything past the created/in_progress handshake). */
function isOutputEvent(event: ResponsesStreamEvent): boolean {
  return event.type !== 'response.created' && event.type !== 'response.in_progress' && event.type !== 'proxycast.unrecognized';
}

function encode(event: ResponsesStreamEvent): string {
  const payload = event.type === 'proxycast.unrecognized' ? event.payload : event;
  const type = event.type === 'proxycast.unrecognized' ? event.eventType : event.type;
  const data = JSON.stringify(payload);
  // A failure the upstream reports mid-stream is relayed as is; its message may quote the token it was sent.
  return `event: ${type}\ndata: ${type === 'error' || type === 'response.failed' ? scrubSecrets(data) : data}\n\n`;
}

/**
 * Streams a Responses answer to a Responses client. Like the chat stream it holds the handshake events back until the
 * first real output, so an early `error`/`response.failed` is a plain HTTP error (or a failover); later failures are
 * passed through as the upstream's own `error`/`response.failed` event, and a stream that ends with no terminal event
 * gets an `error` event of ours.
 */
export async function startResponsesStream(reader: CodexEventReader, context: FailureContext, onUsage: (usage: TokenUsage) => void): Promise<AsyncIterable<string | FinalFrame>> {
  const held: ResponsesStreamEvent[] = [];
  try {
    for (;;) {
      const event = await reader.next();
      if (event === undefined) throw ProxyError.streamInterrupted(context.credentialId, 'the stream closed before response.completed');
      if (event.type === 'error' || event.type === 'response.failed') throw upstreamFailureToProxyError(failureFromEvent(event), context);
      held.push(event);
      if (isOutputEvent(event)) break;
    }
  } catch (error) {
    await reader.close();
    throw error;
  }
  return (async function* frames(): AsyncGenerator<string | FinalFrame> {
    let complete = false;
    try {
      let out = '';
      let pending: ResponsesStreamEvent[] = held;
      for (;;) {
        for (const event of pending) {
          out += encode(event);
          if (event.type === 'response.failed' || event.type === 'error' || TERMINAL.has(event.type)) {
            if (TERMINAL.has(event.type)) {
              const usage = tokenUsageFromResponses((event as { response?: { usage?: unknown } }).response?.usage);
              if (usage) onUsage(usage);
            }
            // The answer is over: what is left goes out with the end of the response, in one write.
            complete = true;
            yield new FinalFrame(out);
            return;
          }
        }
        if (out) yield out;
        out = '';
        const event = await reader.next();
        if (event === undefined) throw ProxyError.streamInterrupted(context.credentialId, 'the stream closed before response.completed');
        // Everything one socket read brought goes out in one write.
        pending = [event, ...reader.drain()];
      }
    } finally {
      if (complete) reader.release();
      else await reader.close();
    }
  })();
}
