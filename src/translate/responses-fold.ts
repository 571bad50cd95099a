/**
 * Responses SSE events → the final Responses object, for a non-stream /v1/responses answer (codex-protocol.md 6).
 * The Codex backend only streams, so the object is read off the terminal event; a failure is thrown, never returned.
 */
import { ProxyError } from '../errors.js';
import type { ResponsesOutputItem, ResponsesStreamEvent } from '../wire/responses.js';
import { failureFromEvent, upstreamFailureToProxyError, type FailureContext } from './upstream-failure.js';

/** Folds events into the final Responses object; `output` is rebuilt from output_item.done events when it is empty (6). */
export function toResponsesObject(events: Iterable<ResponsesStreamEvent>, context: FailureContext): Record<string, unknown> {
  const done: Array<{ order: number; outputIndex: number; item: ResponsesOutputItem }> = [];
  for (const event of events) {
    if (event.type === 'response.output_item.done') {
      done.push({ order: done.length, outputIndex: event.output_index ?? Number.MAX_SAFE_INTEGER, item: event.item });
    } else if (event.type === 'response.failed' || event.type === 'error') {
      throw upstreamFailureToProxyError(failureFromEvent(event), context);
    } else if (event.type === 'response.completed' || event.type === 'response.incomplete') {
      const rebuilt = () => done.sort((a, b) => a.outputIndex - b.outputIndex || a.order - b.order).map((entry) => entry.item);
      const output = event.response.output?.length ? event.response.output : rebuilt();
      return { ...event.response, output };
    }
  }
  throw ProxyError.streamInterrupted(context.credentialId, 'the stream closed before response.completed');
}
