/**
 * Server-sent events from bytes, in three small layers (design.md 0.3): bytes → lines → frames → parsed data.
 * Follows the WHATWG event-stream rules: lines end in \r\n, \r or \n (any of which may be split across chunks),
 * a blank line ends a frame, `:` lines are comments, one space after the colon is dropped, data lines join with
 * "\n". Whether a body is a stream is never decided from its Content-Type: the Codex backend sometimes sends none
 * (codex-protocol.md 6).
 */
import { parseResponsesEvent, type ResponsesStreamEvent } from '../wire/responses.js';

/** One dispatched SSE frame. `event` and `id` are present only when the frame had those lines. */
export interface SseFrame {
  event?: string;
  data: string;
  id?: string;
}

/** A frame's data read as JSON; `done` is the OpenAI `[DONE]` sentinel; `garbage` is data that is not JSON. */
export type SseMessage =
  | { kind: 'json'; event?: string; value: unknown }
  | { kind: 'done'; event?: string }
  | { kind: 'garbage'; event?: string; data: string; reason: string };

/** A Responses stream item: a parsed event, or a frame whose data was not JSON (the caller decides what to do). */
export type ResponsesStreamItem =
  | { kind: 'event'; event: ResponsesStreamEvent }
  | { kind: 'garbage'; data: string; reason: string };

const LINE_BREAK = /[\r\n]/g;

/** The longest line kept while waiting for its end; a stream that sends more without a line break is broken. */
export const MAX_SSE_LINE_CHARS = 16 * 1024 * 1024;

/** A line longer than MAX_SSE_LINE_CHARS: the stream is treated as broken rather than buffered without bound. */
export class SseLineTooLongError extends Error {
  constructor() {
    super(`an SSE line grew past ${MAX_SSE_LINE_CHARS} characters without ending`);
    this.name = 'SseLineTooLongError';
  }
}

/** Layer 1, synchronous: UTF-8 chunks → complete lines without their terminators; a split code point is kept whole. */
export class SseLineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private partial = '';
  // A chunk that ends in \r may be the first half of \r\n: the \n that may start the next chunk is then skipped.
  private skipLeadingLineFeed = false;

  /** The lines completed by this chunk. */
  push(chunk: Uint8Array): string[] {
    return this.split(this.decoder.decode(chunk, { stream: true }));
  }

  /** The lines left at the end of the stream (a last line without a terminator included). */
  end(): string[] {
    const lines = this.split(this.decoder.decode());
    if (this.partial.length > 0) lines.push(this.partial);
    this.partial = '';
    return lines;
  }

  private split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    if (this.skipLeadingLineFeed && text.startsWith('\n')) start = 1;
    if (text.length > 0) this.skipLeadingLineFeed = false;
    if (text.indexOf('\r', start) === -1) return this.splitOnLineFeeds(text, start, lines);
    LINE_BREAK.lastIndex = start;
    for (let match = LINE_BREAK.exec(text); match; match = LINE_BREAK.exec(text)) {
      const end = match.index;
      lines.push(this.partial + text.slice(start, end));
      this.partial = '';
      start = end + 1;
      if (text[end] === '\r') {
        if (end + 1 === text.length) this.skipLeadingLineFeed = true;
        else if (text[end + 1] === '\n') start = end + 2;
      }
      LINE_BREAK.lastIndex = start;
    }
    this.partial += text.slice(start);
    if (this.partial.length > MAX_SSE_LINE_CHARS) throw new SseLineTooLongError();
    return lines;
  }

  /** split() for text without any \r (what the Codex backend sends): native indexOf instead of a regex per line. */
  private splitOnLineFeeds(text: string, from: number, lines: string[]): string[] {
    let start = from;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      lines.push(this.partial.length > 0 ? this.partial + text.slice(start, end) : text.slice(start, end));
      this.partial = '';
      start = end + 1;
    }
    this.partial += text.slice(start);
    if (this.partial.length > MAX_SSE_LINE_CHARS) throw new SseLineTooLongError();
    return lines;
  }
}

/** Layer 2, synchronous: lines → frames. A last frame not followed by a blank line is still dispatched (lenient at EOF). */
export class SseFrameAssembler {
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  /** The frame this line completes, if it is the blank line that ends one. */
  push(line: string): SseFrame | undefined {
    if (line === '') {
      const frame = this.take();
      this.event = undefined;
      this.id = undefined;
      return frame;
    }
    // The two lines nearly every frame is made of, read without the general field parsing below.
    if (line.startsWith('data: ')) {
      this.data.push(line.slice(6));
      return undefined;
    }
    if (line.startsWith('event: ')) {
      this.event = line.slice(7);
      return undefined;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // `retry` and unknown fields are ignored, as the spec says.
    return undefined;
  }

  /** The frame left open at the end of the stream, if any. */
  end(): SseFrame | undefined {
    return this.take();
  }

  private take(): SseFrame | undefined {
    if (this.data.length === 0) return undefined;
    const frame: SseFrame = { data: this.data.length === 1 ? this.data[0]! : this.data.join('\n') };
    if (this.event !== undefined) frame.event = this.event;
    if (this.id !== undefined) frame.id = this.id;
    this.data = [];
    return frame;
  }
}

/** Layers 1 and 2 together, synchronous: each chunk in, the frames it completes out (one call per socket read). */
export class SseFrameDecoder {
  private readonly lines = new SseLineSplitter();
  private readonly frames = new SseFrameAssembler();

  push(chunk: Uint8Array): SseFrame[] {
    return this.collect(this.lines.push(chunk), false);
  }

  end(): SseFrame[] {
    return this.collect(this.lines.end(), true);
  }

  private collect(lines: string[], atEnd: boolean): SseFrame[] {
    const out: SseFrame[] = [];
    for (const line of lines) {
      const frame = this.frames.push(line);
      if (frame) out.push(frame);
    }
    const last = atEnd ? this.frames.end() : undefined;
    if (last) out.push(last);
    return out;
  }
}

/** Layer 1 as a stream: bytes → lines. */
export async function* decodeSseLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const splitter = new SseLineSplitter();
  for await (const chunk of source) yield* splitter.push(chunk);
  yield* splitter.end();
}

/** Layer 2 as a stream: lines → frames. */
export async function* decodeSseFrames(lines: AsyncIterable<string>): AsyncGenerator<SseFrame> {
  const assembler = new SseFrameAssembler();
  for await (const line of lines) {
    const frame = assembler.push(line);
    if (frame) yield frame;
  }
  const last = assembler.end();
  if (last) yield last;
}

/** Bytes → SSE frames (layers 1 and 2), decoded synchronously per chunk: one async step per socket read. */
export async function* decodeSseEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new SseFrameDecoder();
  for await (const chunk of source) yield* decoder.push(chunk);
  yield* decoder.end();
}

/** Layer 3: one frame's data as JSON, never throwing. */
export function parseSseFrame(frame: SseFrame): SseMessage {
  const event = frame.event !== undefined ? { event: frame.event } : {};
  const trimmed = frame.data.trim();
  if (trimmed === '[DONE]') return { kind: 'done', ...event };
  try {
    return { kind: 'json', ...event, value: JSON.parse(trimmed) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'not JSON';
    return { kind: 'garbage', ...event, data: frame.data, reason };
  }
}

/** Bytes → SSE messages with their data parsed as JSON. */
export async function* decodeSseMessages(source: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  for await (const frame of decodeSseEvents(source)) yield parseSseFrame(frame);
}

/** One frame as a Responses stream item; the `event:` line supplies the type only when the JSON has none. */
export function responsesItemOf(frame: SseFrame): ResponsesStreamItem {
  const event = responsesEventOf(frame);
  if (event !== undefined) return { kind: 'event', event };
  const message = parseSseFrame(frame);
  if (message.kind === 'garbage') return { kind: 'garbage', data: message.data, reason: message.reason };
  return { kind: 'garbage', data: '[DONE]', reason: 'the Responses API sends no [DONE] sentinel' };
}

/** One frame's Responses event, or undefined for a frame whose data is not a JSON value (or is `[DONE]`): the hot path, without the item wrapper. */
export function responsesEventOf(frame: SseFrame): ResponsesStreamEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(frame.data);
  } catch {
    return undefined;
  }
  return parseResponsesEvent(value, frame.event);
}

/** Bytes → Responses stream events. */
export async function* decodeResponsesEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<ResponsesStreamItem> {
  for await (const frame of decodeSseEvents(source)) yield responsesItemOf(frame);
}
