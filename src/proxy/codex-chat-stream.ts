import { SSE_DONE, sseData } from '../http/sse-writer.js';
import { tokenUsageFromChat, type TokenUsage } from '../metrics/usage.js';
import { createChatChunkTranslator, type ChatChunkTranslatorOptions } from '../translate/responses-to-chat.js';
import type { ChatChunk } from '../wire/chat.js';
import type { CodexEventReader } from './codex-events.js';

/** True for a chunk that carries something beyond the opening role: text, reasoning, a tool call or the finish. */
function isOutput(chunk: ChatChunk): boolean {
  return chunk.choices.some((choice) => {
    const delta = choice.delta;
    return Boolean(delta.content || delta.reasoning_content || delta.tool_calls?.length || delta.refusal || choice.finish_reason);
  }) || chunk.choices.length === 0;
}

/**
 * Reads the upstream stream until its first real output (design.md 0.4): a failure that comes before it throws here,
 * while the client has seen nothing, so the caller can answer with an HTTP error or try another credential.
 * Returns the SSE frames of the whole answer, the held-back chunks first; a failure after that is thrown from the
 * frames (the writer turns it into an SSE error event, and no [DONE] follows).
 */
export async function startChatStream(
  reader: CodexEventReader,
  options: ChatChunkTranslatorOptions,
  onUsage: (usage: TokenUsage) => void,
): Promise<AsyncIterable<string>> {
  const translator = createChatChunkTranslator(options);
  const held: ChatChunk[] = [];
  let ended = false;
  try {
    while (!held.some(isOutput)) {
      const event = await reader.next();
      if (event === undefined) {
        held.push(...translator.finish());
        ended = true;
        break;
      }
      held.push(...translator.push(event));
    }
  } catch (error) {
    await reader.close();
    throw error;
  }
  return (async function* frames() {
    try {
      const opening = held.map(sseData).join('');
      if (opening) yield opening;
      while (!ended) {
        const event = await reader.next();
        if (event === undefined) {
          ended = true;
          const closing = translator.finish().map(sseData).join('');
          if (closing) yield closing;
          continue;
        }
        // Everything one socket read brought is translated and written at once; what a failure interrupts is sent first.
        let out = '';
        try {
          for (const next of [event, ...reader.drain()]) for (const chunk of translator.push(next)) out += sseData(chunk);
        } catch (error) {
          if (out) yield out;
          throw error;
        }
        if (out) yield out;
      }
      const usage = tokenUsageFromChat(translator.state.usage);
      if (usage) onUsage(usage);
      yield SSE_DONE;
    } finally {
      await reader.close();
    }
  })();
}
