/**
 * Chat Completions wire shapes. The request schema is loose on purpose: it checks the fields the translator reads
 * (so a bad body becomes a 400 whose `param` is the zod issue path) and lets every other key through, because
 * clients send many parameters we only drop (see translate/chat-to-responses.ts for what is sent upstream).
 * The answer shapes are plain types: we build them, we never parse them.
 */
import { z } from 'zod';

const textOrNull = z.string().nullish();

/** One part of an array `content`; the translator checks per `type` which fields it needs. */
export const chatContentPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  refusal: z.string().optional(),
  image_url: z
    .union([z.string(), z.looseObject({ url: z.string(), detail: z.string().optional() })])
    .optional(),
  file: z
    .looseObject({ file_data: z.string().optional(), file_id: z.string().optional(), filename: z.string().optional() })
    .optional(),
});
/** One content part as parsed. */
export type ChatContentPart = z.infer<typeof chatContentPartSchema>;

const chatContentSchema = z.union([z.string(), z.array(chatContentPartSchema)]);
/** A message `content`: a string or a list of parts. */
export type ChatContent = z.infer<typeof chatContentSchema>;

/** One entry of an assistant message's `tool_calls`; `arguments` may arrive as an object from sloppy clients. */
export const chatToolCallSchema = z.looseObject({
  id: textOrNull,
  type: z.string().optional(),
  function: z.looseObject({
    name: z.string(),
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  }),
});
/** One parsed assistant tool call. */
export type ChatToolCall = z.infer<typeof chatToolCallSchema>;

const systemMessageSchema = z.looseObject({ role: z.literal('system'), content: chatContentSchema, name: z.string().optional() });
const developerMessageSchema = z.looseObject({
  role: z.literal('developer'),
  content: chatContentSchema,
  name: z.string().optional(),
});
const userMessageSchema = z.looseObject({ role: z.literal('user'), content: chatContentSchema, name: z.string().optional() });
const assistantMessageSchema = z.looseObject({
  role: z.literal('assistant'),
  content: chatContentSchema.nullish(),
  tool_calls: z.array(chatToolCallSchema).nullish(),
  refusal: textOrNull,
  name: z.string().optional(),
});
/** `tool_call_id` is optional here so the translator can repair an empty or missing one (codex-protocol.md 8.3). */
const toolMessageSchema = z.looseObject({ role: z.literal('tool'), content: chatContentSchema, tool_call_id: textOrNull });
const functionMessageSchema = z.looseObject({ role: z.literal('function'), content: textOrNull, name: z.string() });

/** Any message of a Chat Completions `messages` list, told apart by `role`. */
export const chatMessageSchema = z.discriminatedUnion('role', [
  systemMessageSchema,
  developerMessageSchema,
  userMessageSchema,
  assistantMessageSchema,
  toolMessageSchema,
  functionMessageSchema,
]);
/** Any parsed message. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;
/** A parsed assistant message. */
export type ChatAssistantMessage = z.infer<typeof assistantMessageSchema>;
/** A parsed tool-result message. */
export type ChatToolMessage = z.infer<typeof toolMessageSchema>;

/** A tool definition: the Chat shape `{type, function:{…}}`, or the flat Responses shape some clients send. */
export const chatToolSchema = z.looseObject({
  type: z.string(),
  function: z
    .looseObject({
      name: z.string(),
      description: textOrNull,
      parameters: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    })
    .optional(),
  name: z.string().optional(),
  description: textOrNull,
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
/** A parsed tool definition (either shape). */
export type ChatTool = z.infer<typeof chatToolSchema>;

/** The body of POST /v1/chat/completions: what we read is checked, everything else passes through untouched. */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z.array(chatToolSchema).nullish(),
  tool_choice: z
    .union([z.string(), z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string() }).optional() })])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning_effort: textOrNull,
  reasoning: z.looseObject({ effort: textOrNull, summary: textOrNull }).nullish(),
  response_format: z
    .looseObject({
      type: z.string(),
      json_schema: z
        .looseObject({
          name: z.string().optional(),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        })
        .optional(),
    })
    .nullish(),
  verbosity: textOrNull,
  n: z.number().int().nullish(),
  prompt_cache_key: textOrNull,
  service_tier: textOrNull,
});
/** A validated Chat Completions request body. */
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** The finish reasons we send (exactly one per answer). */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Token counts in the OpenAI shape; the detail objects are always present (zeros when upstream sent none). */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** One tool call fragment inside a streamed delta; only the first fragment of a call carries id, type and name. */
export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

/** The `delta` of a streamed choice; `reasoning_content` carries the reasoning summary. */
export interface ChatChunkDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  refusal?: string;
  tool_calls?: ChatToolCallDelta[];
}

/** The one choice of a streamed chunk. */
export interface ChatChunkChoice {
  index: number;
  delta: ChatChunkDelta;
  finish_reason: ChatFinishReason | null;
}

/** One `chat.completion.chunk`; the usage chunk has `choices: []`. */
export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatChunkChoice[];
  usage?: ChatUsage;
}

/** A complete tool call in a non-stream answer. */
export interface ChatCompletionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The assistant message of a non-stream answer; `content` is null when there is no text. */
export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  reasoning_content?: string;
  tool_calls?: ChatCompletionToolCall[];
}

/** A whole non-stream `chat.completion`. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: ChatCompletionMessage; finish_reason: ChatFinishReason }>;
  usage: ChatUsage;
}
