/**
 * Chat chunks as JSON text, byte for byte what JSON.stringify gives, but cheaper for the chunk nearly every event
 * becomes: one choice whose delta is only `content` (or only `reasoning_content`). Its envelope (id, created, model)
 * is the same for a whole answer, so it is serialised once and only the delta text per chunk. Pure.
 */
import type { ChatChunk } from '../wire/chat.js';

/** Serialises the chunks of one answer (the envelope text is kept between calls). */
export type ChatChunkSerializer = (chunk: ChatChunk) => string;

interface Envelope {
  id: string;
  created: number;
  model: string;
  /** `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[{"index":0,"delta":{` */
  head: string;
}

const TAIL = '},"finish_reason":null}]}';

/** A serializer for one answer's chunks. */
export function createChatChunkSerializer(): ChatChunkSerializer {
  let envelope: Envelope | undefined;
  return (chunk) => {
    const text = singleTextDelta(chunk);
    if (text === undefined) return JSON.stringify(chunk);
    if (!envelope || envelope.id !== chunk.id || envelope.created !== chunk.created || envelope.model !== chunk.model) {
      envelope = {
        id: chunk.id,
        created: chunk.created,
        model: chunk.model,
        head: `{"id":${JSON.stringify(chunk.id)},"object":"chat.completion.chunk","created":${JSON.stringify(chunk.created)},"model":${JSON.stringify(chunk.model)},"choices":[{"index":0,"delta":{`,
      };
    }
    return `${envelope.head}${text.key}${JSON.stringify(text.value)}${TAIL}`;
  };
}

const CONTENT_KEY = '"content":';
const REASONING_KEY = '"reasoning_content":';

/** The delta's one text field when the chunk has exactly the common shape; undefined otherwise (serialised in full). */
function singleTextDelta(chunk: ChatChunk): { key: string; value: string } | undefined {
  if (chunk.object !== 'chat.completion.chunk' || chunk.usage !== undefined || chunk.choices.length !== 1) return undefined;
  const choice = chunk.choices[0]!;
  if (choice.index !== 0 || choice.finish_reason !== null) return undefined;
  const delta = choice.delta;
  let found: { key: string; value: string } | undefined;
  let keys = 0;
  // for…in over the delta's own keys: any key besides the one text field means the full serialisation.
  for (const key in delta) {
    keys += 1;
    const value = (delta as Record<string, unknown>)[key];
    if (keys > 1 || typeof value !== 'string') return undefined;
    if (key === 'content') found = { key: CONTENT_KEY, value };
    else if (key === 'reasoning_content') found = { key: REASONING_KEY, value };
    else return undefined;
  }
  return found;
}
