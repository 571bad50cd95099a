import { ProxyError } from '../errors.js';
import { transportError, type UpstreamResponse } from '../upstream/forward.js';
import { decodeResponsesEvents, SseLineTooLongError } from '../upstream/sse-decoder.js';
import type { ResponsesStreamEvent } from '../wire/responses.js';

/** A pull reader over an upstream Responses stream: parsed events only; transport errors become stream_interrupted. */
export interface CodexEventReader {
  /** The next event, or undefined at the end of the body. */
  next(): Promise<ResponsesStreamEvent | undefined>;
  /** Frames whose data was not JSON (skipped; a stream made only of them ends without response.completed). */
  readonly garbageFrames: number;
  /** Stops reading and releases the upstream socket. */
  close(): Promise<void>;
}

/** Wraps the upstream body in a reader of Responses events. */
export function readCodexEvents(credentialId: string, response: UpstreamResponse): CodexEventReader {
  const iterator = decodeResponsesEvents(response.body)[Symbol.asyncIterator]();
  let garbage = 0;
  return {
    async next() {
      for (;;) {
        let item;
        try {
          item = await iterator.next();
        } catch (error) {
          const why = error instanceof SseLineTooLongError ? error.message : transportError(credentialId, error).message;
          throw ProxyError.streamInterrupted(credentialId, why);
        }
        if (item.done) return undefined;
        if (item.value.kind === 'event') return item.value.event;
        garbage += 1;
      }
    },
    get garbageFrames() {
      return garbage;
    },
    async close() {
      response.body.destroy();
      await iterator.return?.(undefined).catch(() => undefined);
    },
  };
}

/** Reads every event of a stream (for non-stream answers, folded afterwards). */
export async function readAllEvents(reader: CodexEventReader): Promise<ResponsesStreamEvent[]> {
  const events: ResponsesStreamEvent[] = [];
  try {
    for (let event = await reader.next(); event !== undefined; event = await reader.next()) events.push(event);
  } finally {
    await reader.close();
  }
  return events;
}
