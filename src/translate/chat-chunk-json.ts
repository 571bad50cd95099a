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
    const key = singleTextKey(chunk);
    if (key === undefined) return JSON.stringify(chunk);
    const delta = chunk.choices[0]!.delta as Record<string, string>;
    const value = key === CONTENT_KEY ? delta.content! : delta.reasoning_content!;
    if (!envelope || envelope.id !== chunk.id || envelope.created !== chunk.created || envelope.model !== chunk.model) {
      envelope = {
        id: chunk.id,
        created: chunk.created,
        model: chunk.model,
        head: `{"id":${JSON.stringify(chunk.id)},"object":"chat.completion.chunk","created":${JSON.stringify(chunk.created)},"model":${JSON.stringify(chunk.model)},"choices":[{"index":0,"delta":{`,
      };
    }
    return `${envelope.head}${key}${JSON.stringify(value)}${TAIL}`;
  };
}

const CONTENT_KEY = '"content":';
const REASONING_KEY = '"reasoning_content":';

/** The JSON key of the delta's one text field when the chunk has exactly the common shape; undefined otherwise. */
function singleTextKey(chunk: ChatChunk): string | undefined {
  if (chunk.object !== 'chat.completion.chunk' || chunk.usage !== undefined || chunk.choices.length !== 1) return undefined;
  const choice = chunk.choices[0]!;
  if (choice.index !== 0 || choice.finish_reason !== null) return undefined;
  let found: string | undefined;
  // for…in over the delta's own keys: any key besides the one text field means the full serialisation.
  for (const key in choice.delta) {
    if (found !== undefined) return undefined;
    const value = (choice.delta as Record<string, unknown>)[key];
    if (typeof value !== 'string') return undefined;
    if (key === 'content') found = CONTENT_KEY;
    else if (key === 'reasoning_content') found = REASONING_KEY;
    else return undefined;
  }
  return found;
}
