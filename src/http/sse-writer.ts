import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { toOpenAIErrorBody } from '../errors.js';

/** The frame that tells a client a stream failed after output began: an `error` event in the OpenAI shape. */
export function sseErrorFrame(error: unknown): string {
  return `event: error\ndata: ${JSON.stringify(toOpenAIErrorBody(error).body)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * The last frames of a stream: written together with the end of the response (one socket write instead of one for
 * the frames and one for the chunked terminator). A source yields it last; nothing after it is read.
 */
export class FinalFrame {
  constructor(readonly data: string) {}
}

/** Writes one chunk, waiting for 'drain' when the client reads slowly (no unbounded buffering). */
export async function writeWithBackpressure(raw: ServerResponse, chunk: string | Uint8Array): Promise<boolean> {
  if (raw.destroyed || raw.writableEnded) return false;
  if (raw.write(chunk)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      raw.off('drain', onDrain);
      raw.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    raw.on('drain', onDrain);
    raw.on('close', onClose);
  });
}

/**
 * Takes over the reply and streams `frames` (already SSE-encoded) to the client. When the source throws after
 * output began, the client gets an SSE error frame and no [DONE]; the source is responsible for [DONE] on success.
 */
export async function streamSse(
  reply: FastifyReply,
  headers: Record<string, string>,
  frames: AsyncIterable<string | Uint8Array | FinalFrame>,
  onFailure: (error: unknown) => void,
  onFirstByte: () => void = () => undefined,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  // Not flushed on their own: the sources only hand over a stream whose first frames are ready, so the headers go
  // out in the same write as them.
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...headers,
  });
  onFirstByte();
  try {
    for await (const frame of frames) {
      if (frame instanceof FinalFrame) {
        if (!raw.destroyed && !raw.writableEnded) raw.end(frame.data);
        break;
      }
      if (!(await writeWithBackpressure(raw, frame))) break;
    }
  } catch (error) {
    onFailure(error);
    await writeWithBackpressure(raw, sseErrorFrame(error));
  }
  if (!raw.destroyed && !raw.writableEnded) raw.end();
}
