/**
 * How a Chat answer ends: the terminal Responses status → finish_reason, and Responses usage → Chat usage
 * (codex-protocol.md 8.2; the small map follows vercel/ai map-openai-responses-finish-reason.ts).
 */
import type { ChatFinishReason, ChatUsage } from '../wire/chat.js';
import type { ResponsesUsage } from '../wire/responses.js';

/** Maps a terminal status to the one finish_reason of the answer. */
export function mapFinishReason(input: {
  status: 'completed' | 'incomplete';
  incompleteReason?: string | null;
  sawToolCall: boolean;
}): ChatFinishReason {
  if (input.status === 'incomplete') return input.incompleteReason === 'content_filter' ? 'content_filter' : 'length';
  return input.sawToolCall ? 'tool_calls' : 'stop';
}

/** Responses usage → OpenAI usage; missing or null details count as zero. */
export function mapUsage(usage: ResponsesUsage | null | undefined): ChatUsage {
  const prompt = usage?.input_tokens ?? 0;
  const completion = usage?.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.total_tokens ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.input_tokens_details?.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage?.output_tokens_details?.reasoning_tokens ?? 0 },
  };
}
