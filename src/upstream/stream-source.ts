/**
 * An upstream answer read as a stream of chunks through undici's dispatch API, without a Readable: the chunks wait
 * in a small queue the caller pulls from, and the socket is paused while the queue holds more than HIGH_WATER bytes
 * (a slow client slows the upstream instead of filling memory). Transport errors are thrown from next() as they
 * come (first-byte and idle timeouts included), mapped to the catalogue by the caller.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { ERROR_TEXT_LIMIT, transportError, type UpstreamCall } from './forward.js';
import { dispatchUpstream } from './dispatch.js';

/** The body of an answer, pulled one chunk at a time. */
export interface ChunkSource {
  /** The next chunk, or undefined at the end of the body; rejects with the transport error that ended it. */
  next(): Promise<Uint8Array | undefined>;
  /** Stops the body: the request is aborted and the connection cut (for an answer nobody will read to the end). */
  destroy(): void;
}

/** An upstream answer whose body is a ChunkSource. */
export interface UpstreamStream {
  status: number;
  headers: IncomingHttpHeaders;
  source: ChunkSource;
}

const HIGH_WATER = 1024 * 1024;

/** Sends one request; resolves with the status and headers once they arrive, the body left to `source`. */
export function sendUpstreamStreaming(call: UpstreamCall): Promise<UpstreamStream> {
  return new Promise<UpstreamStream>((resolve, reject) => {
    const queue: Buffer[] = [];
    let queuedBytes = 0;
    let ended = false;
    let failure: unknown;
    let started = false;
    let paused: Dispatcher.DispatchController | undefined;
    let waiting: { resolve: (chunk: Uint8Array | undefined) => void; reject: (error: unknown) => void } | undefined;
    const take = (): Buffer | undefined => {
      const chunk = queue.shift();
      if (chunk) queuedBytes -= chunk.length;
      if (paused && queuedBytes < HIGH_WATER / 2) {
        paused.resume();
        paused = undefined;
      }
      return chunk;
    };
    const settle = () => {
      if (!waiting) return;
      const pending = waiting;
      const chunk = take();
      if (chunk) pending.resolve(chunk);
      else if (failure !== undefined) pending.reject(failure);
      else if (ended) pending.resolve(undefined);
      else return;
      waiting = undefined;
    };
    let abort: (reason: Error) => void = () => undefined;
    const source: ChunkSource = {
      next() {
        const chunk = take();
        if (chunk) return Promise.resolve(chunk);
        if (failure !== undefined) return Promise.reject(failure);
        if (ended) return Promise.resolve(undefined);
        return new Promise((resolveChunk, rejectChunk) => {
          waiting = { resolve: resolveChunk, reject: rejectChunk };
        });
      },
      destroy() {
        abort(new undiciErrors.RequestAbortedError());
      },
    };
    abort = dispatchUpstream(call, {
      onStart(status, headers) {
        started = true;
        resolve({ status, headers, source });
      },
      onData(chunk, controller) {
        queue.push(chunk);
        queuedBytes += chunk.length;
        if (queuedBytes > HIGH_WATER && !paused) {
          controller.pause();
          paused = controller;
        }
        settle();
      },
      onEnd() {
        ended = true;
        settle();
      },
      onError(error) {
        failure = transportError(call.credentialId, error);
        if (!started) reject(failure);
        settle();
      },
    });
  });
}

/** Reads at most `limit` bytes of a source as text (for error bodies), then stops it. */
export async function readSourceText(source: ChunkSource, limit = ERROR_TEXT_LIMIT): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk = await source.next(); chunk !== undefined; chunk = await source.next()) {
      chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
      if (size >= limit) break; // enough for a message: no waiting for the rest
    }
  } catch {
    // A broken error body still leaves us the status; what we read so far is enough.
  }
  source.destroy();
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads at most `limit` bytes of a Readable upstream body as text (for error bodies), then discards the rest. */
export function readBodyText(body: AsyncIterable<Uint8Array> & { destroy?: () => void }, limit = ERROR_TEXT_LIMIT): Promise<string> {
  return readSourceText(chunkSourceOf(body), limit);
}

/** A ChunkSource over any async iterable of bytes (a Readable), for callers and tests that have one. */
export function chunkSourceOf(body: AsyncIterable<Uint8Array> & { destroy?: () => void }): ChunkSource {
  const iterator = body[Symbol.asyncIterator]();
  return {
    async next() {
      const item = await iterator.next();
      return item.done ? undefined : item.value;
    },
    destroy() {
      body.destroy?.();
    },
  };
}
