import { ProxyError } from '../errors.js';
import { transportError } from '../upstream/forward.js';
import type { ChunkSource } from '../upstream/stream-source.js';
import { responsesEventOf, SseFrameDecoder, SseLineTooLongError, type SseFrame } from '../upstream/sse-decoder.js';
import type { ResponsesStreamEvent } from '../wire/responses.js';

/** A pull reader over an upstream Responses stream: parsed events only; transport errors become stream_interrupted. */
export interface CodexEventReader {
  /** The next event, or undefined at the end of the body. */
  next(): Promise<ResponsesStreamEvent | undefined>;
  /** The events already decoded and waiting (taken off the queue), so a caller can handle one socket read at once. */
  drain(): ResponsesStreamEvent[];
  /** Frames whose data was not JSON (skipped; a stream made only of them ends without response.completed). */
  readonly garbageFrames: number;
  /** Stops reading and cuts the upstream body (an abandoned or failed answer: the upstream stops generating). */
  close(): Promise<void>;
  /**
   * Done with a complete answer: what is left of the body (the chunked terminator, trailing bytes) is read and
   * dropped in the background, at most DRAIN_LIMIT bytes, so the connection goes back to the pool instead of being cut.
   */
  release(): void;
}

const DRAIN_LIMIT = 256 * 1024;

export interface CodexEventReaderOptions {
  /**
   * Types whose frames are dropped without parsing their JSON: for a caller that has no use for them (the chat
   * translation ignores every type no translator reads, and in_progress), not for one that relays them.
   */
  skipType?: (type: string) => boolean;
}

/** A frame to drop unparsed: its `event:` line names a type to skip and its data starts with the same type. */
function isSkippedFrame(frame: SseFrame, skipType: (type: string) => boolean): boolean {
  const type = frame.event;
  return type !== undefined && skipType(type) && frame.data.startsWith(`{"type":"${type}"`);
}

/**
 * Wraps the upstream body in a reader of Responses events. Each socket read is decoded synchronously into all the
 * events it completes, which wait in a queue: one await per read rather than several per event.
 */
export function readCodexEvents(credentialId: string, source: ChunkSource, options: CodexEventReaderOptions = {}): CodexEventReader {
  const decoder = new SseFrameDecoder();
  const queue: ResponsesStreamEvent[] = [];
  let ended = false;
  let garbage = 0;
  const enqueue = (frames: SseFrame[]) => {
    for (const frame of frames) {
      if (options.skipType && isSkippedFrame(frame, options.skipType)) continue;
      const event = responsesEventOf(frame);
      if (event !== undefined) queue.push(event);
      else garbage += 1;
    }
  };
  const readMore = async () => {
    try {
      const chunk = await source.next();
      if (chunk === undefined) {
        ended = true;
        enqueue(decoder.end());
      } else enqueue(decoder.push(chunk));
    } catch (error) {
      const why = error instanceof SseLineTooLongError ? error.message : transportError(credentialId, error).message;
      throw ProxyError.streamInterrupted(credentialId, why);
    }
  };
  return {
    async next() {
      while (queue.length === 0 && !ended) await readMore();
      return queue.shift();
    },
    drain() {
      return queue.splice(0, queue.length);
    },
    get garbageFrames() {
      return garbage;
    },
    async close() {
      ended = true;
      source.destroy();
    },
    release() {
      if (ended) return;
      ended = true;
      void (async () => {
        let bytes = 0;
        try {
          for (let chunk = await source.next(); chunk !== undefined; chunk = await source.next()) {
            bytes += chunk.length;
            if (bytes > DRAIN_LIMIT) {
              source.destroy(); // too much left: cutting the connection is cheaper than reading on
              return;
            }
          }
        } catch {
          // A broken tail after a complete answer changes nothing for the client.
        }
      })();
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
