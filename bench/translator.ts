/**
 * Translated events per second on one core: createChatChunkTranslator (src/translate/responses-to-chat.ts) over a
 * large event list in the recorded fixture format, with nothing else running. Two figures:
 *   translator   parsed events in, chat chunks out (the pure translator)
 *   pipeline     SSE bytes → the daemon's per-read path: SseFrameDecoder → responsesEventOf (JSON, event check) →
 *                translator → `data:` frames (createChatChunkSerializer), as codex-events.ts and codex-chat-stream.ts
 */
import { createChatChunkSerializer } from '../src/translate/chat-chunk-json.js';
import { createChatChunkTranslator } from '../src/translate/responses-to-chat.js';
import { responsesEventOf, SseFrameDecoder } from '../src/upstream/sse-decoder.js';
import { parseResponsesEvent, type ResponsesStreamEvent } from '../src/wire/responses.js';
import { responsesEvents, responsesFrame } from './mock-answers.js';

export interface TranslatorResult {
  eventsPerStream: number;
  translatorEventsPerSecond: number;
  pipelineEventsPerSecond: number;
  chunksPerStream: number;
}

const options = { model: 'gpt-5.4', completionId: 'chatcmpl-bench', created: 1767225600, includeUsage: true };

function translateAll(events: readonly ResponsesStreamEvent[]): number {
  const translator = createChatChunkTranslator(options);
  let chunks = 0;
  for (const event of events) chunks += translator.push(event).length;
  return chunks + translator.finish().length;
}

function pipelineOnce(chunks: readonly Buffer[]): number {
  const translator = createChatChunkTranslator(options);
  const decoder = new SseFrameDecoder();
  const serialize = createChatChunkSerializer();
  let bytes = 0;
  const translate = (frames: ReturnType<SseFrameDecoder['push']>) => {
    let out = '';
    for (const frame of frames) {
      const event = responsesEventOf(frame);
      if (event !== undefined) for (const chunk of translator.push(event)) out += `data: ${serialize(chunk)}\n\n`;
    }
    bytes += out.length;
  };
  for (const chunk of chunks) translate(decoder.push(chunk));
  translate(decoder.end());
  for (const chunk of translator.finish()) bytes += `data: ${serialize(chunk)}\n\n`.length;
  return bytes;
}

/** Runs `body` repeatedly for `ms` and returns how many times it ran and how long that took. */
async function timed(ms: number, body: () => unknown): Promise<{ runs: number; elapsedMs: number }> {
  const started = performance.now();
  let runs = 0;
  while (performance.now() - started < ms) {
    await body();
    runs += 1;
  }
  return { runs, elapsedMs: performance.now() - started };
}

/** The micro-benchmark: 1,000-event streams (992 text deltas), each translated whole, for about `ms` per figure. */
export async function benchTranslator(ms = 1500): Promise<TranslatorResult> {
  const raw = responsesEvents(1000, { id: 'resp_translator_bench' });
  const parsed = raw.map((event) => parseResponsesEvent(event));
  const bytes = Buffer.from(raw.map(responsesFrame).join(''));
  // Split the bytes the way a socket delivers them: 16 KiB reads, frames cut at arbitrary points.
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16 * 1024) chunks.push(bytes.subarray(offset, offset + 16 * 1024));
  const chunksPerStream = translateAll(parsed);
  await timed(300, () => translateAll(parsed)); // warm-up (JIT)
  const pure = await timed(ms, () => translateAll(parsed));
  await timed(300, () => pipelineOnce(chunks));
  const full = await timed(ms, () => pipelineOnce(chunks));
  return {
    eventsPerStream: parsed.length,
    translatorEventsPerSecond: (pure.runs * parsed.length * 1000) / pure.elapsedMs,
    pipelineEventsPerSecond: (full.runs * parsed.length * 1000) / full.elapsedMs,
    chunksPerStream,
  };
}
