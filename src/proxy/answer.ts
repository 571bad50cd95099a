import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { streamSse, type FinalFrame } from '../http/sse-writer.js';

/** What an attempt hands back once the upstream has answered well enough to commit to it. */
export type PreparedAnswer =
  | { kind: 'sse'; frames: AsyncIterable<string | Uint8Array | FinalFrame> }
  | { kind: 'json'; status: number; contentType: string; body: Readable | string };

/** Sends a prepared answer with the proxycast headers; stream failures after the first byte end in an SSE error frame. */
export async function sendAnswer(
  reply: FastifyReply,
  answer: PreparedAnswer,
  headers: Record<string, string>,
  onStreamFailure: (error: unknown) => void,
  onFirstByte: () => void,
): Promise<void> {
  if (answer.kind === 'sse') {
    await streamSse(reply, headers, answer.frames, onStreamFailure, onFirstByte);
    return;
  }
  reply.code(answer.status).headers(headers).header('content-type', answer.contentType);
  onFirstByte();
  await reply.send(answer.body);
}
