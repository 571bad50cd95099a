/**
 * Responses API wire shapes: the request body we send to the ChatGPT Codex backend, the loose schema of a client's
 * own POST /v1/responses body, and the SSE event union (codex-protocol.md 5.3 and 6). Event schemas are loose:
 * only the fields the translators read are checked, and any event we do not know, or cannot read, becomes a
 * `proxycast.unrecognized` event so a new upstream event type never breaks a stream.
 */
import { z } from 'zod';

/** Reasoning efforts seen on the Codex backend (codex-protocol.md 9); a model allows a subset. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'ultra'] as const;
/** One reasoning effort name. */
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** Type guard for a reasoning effort name. */
export function isReasoningEffort(value: unknown): value is ReasoningEffort {
  return typeof value === 'string' && (REASONING_EFFORTS as readonly string[]).includes(value);
}

/** Input content parts (user/developer text, images, files) and assistant output text. */
export interface ResponsesInputText { type: 'input_text'; text: string }
export interface ResponsesInputImage { type: 'input_image'; image_url: string; detail?: string }
export interface ResponsesInputFile { type: 'input_file'; file_data?: string; file_id?: string; filename?: string }
export interface ResponsesOutputText { type: 'output_text'; text: string }
/** Any content part we send in a message item. */
export type ResponsesContentPart = ResponsesInputText | ResponsesInputImage | ResponsesInputFile | ResponsesOutputText;

/** A message input item; never role system (5.4). */
export interface ResponsesMessageItem {
  type: 'message';
  role: 'user' | 'assistant' | 'developer';
  content: ResponsesContentPart[];
}
/** An earlier tool call of the assistant, replayed as history. */
export interface ResponsesFunctionCallItem { type: 'function_call'; call_id: string; name: string; arguments: string }
/** The result of one function_call, paired by call_id. */
export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output';
  call_id: string;
  output: string | Array<ResponsesInputText | ResponsesInputImage>;
}
/** An input item a Responses client sent that we pass on as is (reasoning, web_search_call, custom_tool_call, …). */
export type ResponsesPassthroughItem = { type: string } & Record<string, unknown>;
/** Any item of the `input` list. */
export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesPassthroughItem;

/** A flat Responses function tool. */
export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}
/** A function tool, or another tool a Responses client sent (web_search, …). */
export type ResponsesTool = ResponsesFunctionTool | ({ type: string } & Record<string, unknown>);
/** tool_choice in the Responses shape. */
export type ResponsesToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string };
/** text.format: plain text, JSON object, or a JSON schema. */
export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean; description?: string };

/** The body we POST to `<chatgpt_base_url>/responses`; only these keys are ever sent (a whitelist). */
export interface ResponsesRequestBody {
  model: string;
  instructions: string;
  input: ResponsesInputItem[];
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice | Record<string, unknown>;
  parallel_tool_calls?: boolean;
  reasoning?: { effort?: ReasoningEffort; summary?: string };
  include?: string[];
  text?: { format?: ResponsesTextFormat | ({ type: string } & Record<string, unknown>); verbosity?: string };
  service_tier?: 'priority';
  prompt_cache_key: string;
  store: false;
  stream: true;
}

/** A client's own POST /v1/responses body, checked only where the normaliser reads it. */
export const responsesClientRequestSchema = z.looseObject({
  model: z.string().min(1),
  // The Responses API's message roles; anything else is refused here rather than sent on.
  input: z.union([z.string(), z.array(z.looseObject({ type: z.string().optional(), role: z.enum(['user', 'assistant', 'system', 'developer']).optional() }))]),
  instructions: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  text: z.looseObject({}).nullish(),
  prompt_cache_key: z.string().nullish(),
  service_tier: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  stream: z.boolean().nullish(),
});
/** A validated client Responses request body. */
export type ResponsesClientRequest = z.infer<typeof responsesClientRequestSchema>;

// ---- SSE events (codex-protocol.md 6) ----

/** `response.usage`; both detail objects may be null upstream (Codex test builders). */
export const responsesUsageSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  output_tokens: z.number().nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
  total_tokens: z.number().nullish(),
});
/** Parsed usage. */
export type ResponsesUsage = z.infer<typeof responsesUsageSchema>;

/** An output item; only `type` is sure, the rest depends on it (message, function_call, reasoning, …). */
export const responsesOutputItemSchema = z.looseObject({
  type: z.string(),
  id: z.string().nullish(),
  call_id: z.string().nullish(),
  name: z.string().nullish(),
  arguments: z.string().nullish(),
  role: z.string().nullish(),
  content: z.array(z.looseObject({ type: z.string(), text: z.string().nullish(), refusal: z.string().nullish() })).nullish(),
  summary: z.array(z.looseObject({ type: z.string(), text: z.string().nullish() })).nullish(),
});
/** A parsed output item. */
export type ResponsesOutputItem = z.infer<typeof responsesOutputItemSchema>;

/** The `response` object of created / completed / incomplete / failed events. */
export const responsesResponseSchema = z.looseObject({
  id: z.string().nullish(),
  created_at: z.number().nullish(),
  model: z.string().nullish(),
  status: z.string().nullish(),
  output: z.array(z.looseObject({ type: z.string() })).nullish(),
  usage: responsesUsageSchema.nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  error: z.unknown().optional(),
});
/** A parsed response object. */
export type ResponsesResponse = z.infer<typeof responsesResponseSchema>;

const location = { item_id: z.string().nullish(), output_index: z.number().nullish() };
const envelope = <T extends string>(type: T) => z.looseObject({ type: z.literal(type), response: responsesResponseSchema });
const delta = <T extends string>(type: T) => z.looseObject({ type: z.literal(type), ...location, delta: z.string() });
const outputItemEvent = <T extends string>(type: T) =>
  z.looseObject({ type: z.literal(type), output_index: z.number().nullish(), item: responsesOutputItemSchema });

/** Every event type the translators read, with the fields they read (exported for the fast path's test). */
export const knownEventSchema = z.discriminatedUnion('type', [
  envelope('response.created'),
  envelope('response.in_progress'),
  envelope('response.completed'),
  envelope('response.incomplete'),
  z.looseObject({ type: z.literal('response.failed'), response: responsesResponseSchema.nullish() }),
  outputItemEvent('response.output_item.added'),
  outputItemEvent('response.output_item.done'),
  delta('response.output_text.delta'),
  delta('response.refusal.delta'),
  z.looseObject({
    type: z.literal('response.reasoning_summary_text.delta'),
    ...location,
    summary_index: z.number().nullish(),
    delta: z.string(),
  }),
  z.looseObject({ type: z.literal('response.reasoning_summary_part.added'), ...location, summary_index: z.number().nullish() }),
  delta('response.function_call_arguments.delta'),
  z.looseObject({ type: z.literal('response.function_call_arguments.done'), ...location, arguments: z.string().nullish() }),
  // Both error shapes (nested `error` object, or fields at the top level) are read by the failure mapper.
  z.looseObject({
    type: z.literal('error'),
    error: z.unknown().optional(),
    code: z.unknown().optional(),
    message: z.unknown().optional(),
    status: z.unknown().optional(),
  }),
]);

/** An event we do not handle (a new type, or a known type whose fields we cannot read): to be ignored. */
export interface UnrecognizedResponsesEvent { type: 'proxycast.unrecognized'; eventType: string; payload: unknown }
/** An event type the translators read. */
export type KnownResponsesEvent = z.infer<typeof knownEventSchema>;
/** Any event of a Responses stream. */
export type ResponsesStreamEvent = KnownResponsesEvent | UnrecognizedResponsesEvent;
/** The known event with the given type. */
export type ResponsesEventOf<T extends KnownResponsesEvent['type']> = Extract<KnownResponsesEvent, { type: T }>;

const KNOWN_TYPES: ReadonlySet<string> = new Set(knownEventSchema.options.map((option) => option.shape.type.value));

/** Whether any translator reads events of this type (the others become proxycast.unrecognized). */
export function isKnownEventType(type: string): boolean {
  return KNOWN_TYPES.has(type);
}

const DELTA_TYPES = new Set(['response.output_text.delta', 'response.refusal.delta', 'response.function_call_arguments.delta', 'response.reasoning_summary_text.delta']);
const nullishString = (value: unknown) => value === undefined || value === null || typeof value === 'string';
const nullishNumber = (value: unknown) => value === undefined || value === null || typeof value === 'number';

/**
 * The delta events, nearly every event of a stream, checked by hand: exactly what their schemas above check (the
 * test holds the two to the same answers), without zod's copy of each event. Anything else goes through zod.
 */
function isWellFormedDelta(object: Record<string, unknown>): boolean {
  const type = object.type;
  if (typeof type !== 'string' || !DELTA_TYPES.has(type)) return false;
  if (typeof object.delta !== 'string' || !nullishString(object.item_id) || !nullishNumber(object.output_index)) return false;
  return type !== 'response.reasoning_summary_text.delta' || nullishNumber(object.summary_index);
}

const isNullish = (value: unknown) => value === undefined || value === null;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
/** Nullish, or an array of objects that each pass `check`. */
const recordsOrNullish = (value: unknown, check: (record: Record<string, unknown>) => boolean) =>
  isNullish(value) || (Array.isArray(value) && value.every((entry) => isRecord(entry) && check(entry)));

/** responsesUsageSchema, by hand. */
function isUsage(usage: unknown): boolean {
  if (isNullish(usage)) return true;
  if (!isRecord(usage)) return false;
  const input = usage.input_tokens_details;
  const output = usage.output_tokens_details;
  return nullishNumber(usage.input_tokens) && nullishNumber(usage.output_tokens) && nullishNumber(usage.total_tokens)
    && (isNullish(input) || (isRecord(input) && nullishNumber(input.cached_tokens)))
    && (isNullish(output) || (isRecord(output) && nullishNumber(output.reasoning_tokens)));
}

/** responsesResponseSchema, by hand. */
function isResponse(response: unknown): boolean {
  if (!isRecord(response)) return false;
  const incomplete = response.incomplete_details;
  return nullishString(response.id) && nullishNumber(response.created_at) && nullishString(response.model) && nullishString(response.status)
    && recordsOrNullish(response.output, (item) => typeof item.type === 'string') && isUsage(response.usage)
    && (isNullish(incomplete) || (isRecord(incomplete) && nullishString(incomplete.reason)));
}

/** responsesOutputItemSchema, by hand. */
function isOutputItem(item: unknown): boolean {
  if (!isRecord(item) || typeof item.type !== 'string') return false;
  return nullishString(item.id) && nullishString(item.call_id) && nullishString(item.name) && nullishString(item.arguments) && nullishString(item.role)
    && recordsOrNullish(item.content, (part) => typeof part.type === 'string' && nullishString(part.text) && nullishString(part.refusal))
    && recordsOrNullish(item.summary, (part) => typeof part.type === 'string' && nullishString(part.text));
}

const RESPONSE_EVENTS = new Set(['response.created', 'response.in_progress', 'response.completed', 'response.incomplete']);
const ITEM_EVENTS = new Set(['response.output_item.added', 'response.output_item.done']);

/**
 * The framing events (created, in_progress, completed, incomplete, output_item.added/done), checked by hand as the
 * delta events are: each answer has several, each a zod parse of a nested response or item (held to the schemas by
 * the same test). Anything that does not pass goes through zod, which gives the verdict.
 */
function isWellFormedFraming(object: Record<string, unknown>): boolean {
  const type = object.type;
  if (typeof type !== 'string') return false;
  if (RESPONSE_EVENTS.has(type)) return isResponse(object.response);
  if (ITEM_EVENTS.has(type)) return nullishNumber(object.output_index) && isOutputItem(object.item);
  return false;
}

/** Reads one parsed SSE data payload as an event; `fallbackType` (the SSE `event:` line) is used when `type` is missing. */
export function parseResponsesEvent(payload: unknown, fallbackType?: string): ResponsesStreamEvent {
  const object = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  if (object && (isWellFormedDelta(object) || isWellFormedFraming(object))) return object as KnownResponsesEvent;
  // A type no schema is for (output_text.done, content_part.added, a new one): zod would fail on the discriminator
  // anyway, and a failed parse (building its issues) costs more than a good one.
  if (object && typeof object.type === 'string' && !KNOWN_TYPES.has(object.type)) return { type: 'proxycast.unrecognized', eventType: object.type, payload };
  const withType = object && typeof object.type !== 'string' && fallbackType ? { ...object, type: fallbackType } : payload;
  const parsed = knownEventSchema.safeParse(withType);
  if (parsed.success) return parsed.data;
  const eventType = object && typeof object.type === 'string' ? object.type : (fallbackType ?? '');
  return { type: 'proxycast.unrecognized', eventType, payload };
}

// ---- error payloads (codex-protocol.md 6 and 7.1) ----

/** The fields of an upstream error, from an `error` event (either shape), response.failed, or an HTTP error body. */
export interface UpstreamFailure {
  message: string;
  code?: string;
  type?: string;
  param?: string;
  status?: number;
  /** Unix seconds. */
  resetsAt?: number;
  resetsInSeconds?: number;
  planType?: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Reads an error object such as `{code, type, message, param, resets_at, …}` into an UpstreamFailure. */
export function failureFromErrorObject(value: unknown, status?: number): UpstreamFailure {
  const error = asRecord(value) ?? {};
  const text = (key: string) => (typeof error[key] === 'string' && error[key] !== '' ? (error[key] as string) : undefined);
  const number = (key: string) => (typeof error[key] === 'number' ? (error[key] as number) : undefined);
  const failure: UpstreamFailure = { message: text('message') ?? text('detail') ?? 'the upstream reported a failure without details' };
  const fields = { code: text('code'), type: text('type'), param: text('param'), planType: text('plan_type') };
  const numbers = { status: number('status') ?? status, resetsAt: number('resets_at'), resetsInSeconds: number('resets_in_seconds') };
  return Object.assign(failure, Object.fromEntries(Object.entries({ ...fields, ...numbers }).filter(([, v]) => v !== undefined)));
}

/** The failure carried by an `error` event (nested or top-level shape) or a `response.failed` event. */
export function failureFromEvent(event: ResponsesEventOf<'error'> | ResponsesEventOf<'response.failed'>): UpstreamFailure {
  if (event.type === 'response.failed') return failureFromErrorObject(event.response?.error);
  const status = typeof event.status === 'number' ? event.status : undefined;
  const nested = asRecord(event.error);
  return nested ? failureFromErrorObject(nested, status) : failureFromErrorObject({ ...event, type: undefined }, status);
}
