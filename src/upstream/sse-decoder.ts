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

/** Layer 1: UTF-8 bytes → lines without their terminators; a code point split across chunks is kept whole. */
export async function* decodeSseLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let partial = '';
  // A chunk that ends in \r may be the first half of \r\n: the \n that may start the next chunk is then skipped.
  let skipLeadingLineFeed = false;
  const split = function* (text: string): Generator<string> {
    let start = 0;
    if (skipLeadingLineFeed && text.startsWith('\n')) start = 1;
    if (text.length > 0) skipLeadingLineFeed = false;
    LINE_BREAK.lastIndex = start;
    for (let match = LINE_BREAK.exec(text); match; match = LINE_BREAK.exec(text)) {
      const end = match.index;
      yield partial + text.slice(start, end);
      partial = '';
      start = end + 1;
      if (text[end] === '\r') {
        if (end + 1 === text.length) skipLeadingLineFeed = true;
        else if (text[end + 1] === '\n') start = end + 2;
      }
      LINE_BREAK.lastIndex = start;
    }
    partial += text.slice(start);
    if (partial.length > MAX_SSE_LINE_CHARS) throw new SseLineTooLongError();
  };
  for await (const chunk of source) yield* split(decoder.decode(chunk, { stream: true }));
  yield* split(decoder.decode());
  if (partial.length > 0) yield partial;
}

/** Layer 2: lines → frames. A last frame not followed by a blank line is still dispatched (lenient at EOF). */
export async function* decodeSseFrames(lines: AsyncIterable<string>): AsyncGenerator<SseFrame> {
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  const frame = (): SseFrame => ({
    data: data.join('\n'),
    ...(event !== undefined ? { event } : {}),
    ...(id !== undefined ? { id } : {}),
  });
  for await (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield frame();
      data = [];
      event = undefined;
      id = undefined;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    // `retry` and unknown fields are ignored, as the spec says.
  }
  if (data.length > 0) yield frame();
}

/** Bytes → SSE frames (layers 1 and 2). */
export function decodeSseEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<SseFrame> {
  return decodeSseFrames(decodeSseLines(source));
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

/** Bytes → Responses stream events; the `event:` line supplies the type only when the JSON has none. */
export async function* decodeResponsesEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<ResponsesStreamItem> {
  for await (const message of decodeSseMessages(source)) {
    if (message.kind === 'json') yield { kind: 'event', event: parseResponsesEvent(message.value, message.event) };
    else if (message.kind === 'garbage') yield { kind: 'garbage', data: message.data, reason: message.reason };
    else yield { kind: 'garbage', data: '[DONE]', reason: 'the Responses API sends no [DONE] sentinel' };
  }
}
