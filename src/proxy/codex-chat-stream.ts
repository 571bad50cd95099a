import { FinalFrame, SSE_DONE } from '../http/sse-writer.js';
import { createChatChunkSerializer } from '../translate/chat-chunk-json.js';
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
): Promise<AsyncIterable<string | FinalFrame>> {
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
  const serialize = createChatChunkSerializer();
  const sse = (chunks: readonly ChatChunk[]) => {
    let text = '';
    for (const chunk of chunks) text += `data: ${serialize(chunk)}\n\n`;
    return text;
  };
  return (async function* frames(): AsyncGenerator<string | FinalFrame> {
    let complete = false;
    try {
      let out = sse(held);
      for (;;) {
        if (translator.state.terminal || ended) {
          // The answer is whole (or the upstream ended without its terminal event, which finish() throws): its last
          // chunks, the usage chunk and [DONE] leave in one final write, without waiting for the upstream's end.
          try {
            out += sse(translator.finish());
          } catch (error) {
            if (out) yield out;
            throw error;
          }
          const usage = tokenUsageFromChat(translator.state.usage);
          if (usage) onUsage(usage);
          complete = true;
          yield new FinalFrame(out + SSE_DONE);
          return;
        }
        if (out) yield out;
        out = '';
        const event = await reader.next();
        if (event === undefined) {
          ended = true;
          continue;
        }
        // Everything one socket read brought is translated and written at once; what a failure interrupts is sent first.
        try {
          out += sse(translator.push(event));
          for (const next of reader.drain()) out += sse(translator.push(next));
        } catch (error) {
          if (out) yield out;
          throw error;
        }
      }
    } finally {
      if (complete) reader.release();
      else await reader.close();
    }
  })();
}
