/**
 * What both request translators (chat-to-responses.ts, responses-request.ts) share about the ChatGPT Codex backend:
 * the parameters it refuses (codex-protocol.md 5.4), model-name effort suffixes, the conversation key that keeps a
 * chat on one credential, and the shape both translators return. Pure; no I/O.
 */
import { createHash } from 'node:crypto';
import { isReasoningEffort, REASONING_EFFORTS, type ReasoningEffort, type ResponsesRequestBody } from '../wire/responses.js';

/** Parameters the ChatGPT backend answers 400 "Unsupported parameter" to, or that make no sense there (5.4). */
export const REJECTED_PARAMETERS = [
  'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'temperature', 'top_p', 'presence_penalty',
  'frequency_penalty', 'seed', 'stream_options', 'user', 'metadata', 'logprobs', 'top_logprobs', 'logit_bias', 'stop',
  'truncation', 'previous_response_id', 'prompt_cache_retention', 'safety_identifier', 'store', 'background',
] as const;

const EFFORT_SUFFIX = new RegExp(`^(.+?)(?:[-_:](${REASONING_EFFORTS.join('|')})|\\((${REASONING_EFFORTS.join('|')})\\))$`, 'i');

/** Splits an effort suffix off a model name: `gpt-5.5-high`, `gpt-5.5_high`, `gpt-5.5:high`, `gpt-5.5(high)` → gpt-5.5 + high. */
export function splitEffortSuffix(model: string): { model: string; effort?: ReasoningEffort } {
  const match = EFFORT_SUFFIX.exec(model.trim());
  const effort = (match?.[2] ?? match?.[3])?.toLowerCase();
  return match?.[1] && isReasoningEffort(effort) ? { model: match[1], effort } : { model };
}

/** A stable UUID-shaped key from the instructions and the first user message, so all turns of one chat share it. */
export function deriveConversationKey(instructions: string, firstUserMessage: string): string {
  const hex = createHash('sha256').update(`${instructions}\u0000${firstUserMessage}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What both request translators return: the body, what was dropped or repaired, and the conversation key. */
export interface TranslatedRequest {
  request: ResponsesRequestBody;
  warnings: string[];
  promptCacheKey: string;
}
