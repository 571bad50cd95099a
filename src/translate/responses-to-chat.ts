/**
 * Responses SSE events → Chat Completions answers (codex-protocol.md 8.2). `createChatChunkTranslator` is a
 * stateful per-event translator without I/O or clock (design.md 4.3); `toChatCompletion` folds the same chunks into
 * one `chat.completion`; `toResponsesObject` folds events into the final Responses object for /v1/responses.
 * Upstream failures surface as thrown ProxyErrors (upstreamFailureToProxyError), never as a clean end.
 */
import { ProxyError } from '../errors.js';
import type { ChatChunk, ChatChunkDelta, ChatCompletion, ChatCompletionToolCall, ChatFinishReason, ChatUsage } from '../wire/chat.js';
import {
  failureFromEvent,
  type ResponsesEventOf,
  type ResponsesOutputItem,
  type ResponsesStreamEvent,
  type ResponsesUsage,
  type UpstreamFailure,
} from '../wire/responses.js';

// The failure readers live with the wire shapes; re-exported here because callers meet them next to the translator.
export { failureFromErrorObject, failureFromEvent, type UpstreamFailure } from '../wire/responses.js';

/** What every chunk of one answer carries. */
export interface ChatChunkTranslatorOptions {
  /** The model name the chunks carry (what the client asked for). */
  model: string;
  completionId: string;
  /** Unix seconds; also the "now" used to turn a usage-limit reset time into Retry-After. */
  created: number;
  /** Adds the final usage chunk (`choices: []`), as `stream_options.include_usage` asks. */
  includeUsage?: boolean;
  /** Named in error messages; defaults to "upstream". */
  credentialId?: string;
}

/** What the translator has seen; read it to decide between an HTTP error and an SSE error frame. */
export interface ChatChunkTranslatorState {
  responseId: string | undefined;
  /** True once push/finish returned a chunk: from then on a failure must be reported in-stream. */
  outputEmitted: boolean;
  sawToolCall: boolean;
  terminal: 'completed' | 'incomplete' | 'failed' | undefined;
  finishReason: ChatFinishReason | undefined;
  usage: ChatUsage | undefined;
  /** The failure thrown by push/finish, kept for the caller. */
  failure: ProxyError | undefined;
}

/** The per-stream translator (design.md 4.3). */
export interface ChatChunkTranslator {
  /** Translates one event; throws the mapped ProxyError for `error` / `response.failed`. */
  push(event: ResponsesStreamEvent): ChatChunk[];
  /** Ends the stream; throws ProxyError stream_interrupted when no response.completed/incomplete arrived. */
  finish(): ChatChunk[];
  readonly state: Readonly<ChatChunkTranslatorState>;
}

interface ToolCallState { index: number; callId: string; name: string; announced: boolean; argumentsSent: boolean; buffered: string }

interface Translation extends ChatChunkTranslatorState {
  options: ChatChunkTranslatorOptions;
  out: ChatChunk[];
  roleSent: boolean;
  toolCalls: Map<string, ToolCallState>;
  toolCallCount: number;
  textItems: Set<string>;
  reasoningItems: Set<string>;
  lastReasoningPart: string | undefined;
}

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

function chunk(t: Translation, choices: ChatChunk['choices'], usage?: ChatUsage): ChatChunk {
  const { completionId, created, model } = t.options;
  return { id: completionId, object: 'chat.completion.chunk', created, model, choices, ...(usage ? { usage } : {}) };
}

/** Emits a delta, preceded by the role chunk `{role:"assistant",content:""}` the first time. */
function emit(t: Translation, delta: ChatChunkDelta, finishReason: ChatFinishReason | null = null): void {
  if (!t.roleSent) {
    t.out.push(chunk(t, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    t.roleSent = true;
  }
  t.out.push(chunk(t, [{ index: 0, delta, finish_reason: finishReason }]));
  t.outputEmitted = true;
}

function emitArguments(t: Translation, call: ToolCallState, args: string): void {
  emit(t, { tool_calls: [{ index: call.index, function: { arguments: args } }] });
  call.argumentsSent = true;
}

/** Tool calls are keyed by item id and by output index, so interleaved calls stay apart (CPA does the same). */
function findToolCall(t: Translation, itemId: string | null | undefined, outputIndex: number | null | undefined): ToolCallState | undefined {
  const byItem = itemId ? t.toolCalls.get(`item:${itemId}`) : undefined;
  return byItem ?? (typeof outputIndex === 'number' ? t.toolCalls.get(`output:${outputIndex}`) : undefined);
}

function trackToolCall(t: Translation, itemId: string | null | undefined, outputIndex: number | null | undefined): ToolCallState {
  const known = findToolCall(t, itemId, outputIndex);
  if (known) return known;
  const call: ToolCallState = { index: -1, callId: '', name: '', announced: false, argumentsSent: false, buffered: '' };
  if (itemId) t.toolCalls.set(`item:${itemId}`, call);
  if (typeof outputIndex === 'number') t.toolCalls.set(`output:${outputIndex}`, call);
  return call;
}

/** The first fragment of a call: index, id, type and name (and the arguments when they are already complete). */
function announce(t: Translation, call: ToolCallState, item: ResponsesOutputItem, args: string): void {
  call.index = t.toolCallCount++;
  call.callId = item.call_id ?? item.id ?? `call_${call.index}`;
  call.name = item.name ?? '';
  call.announced = true;
  t.sawToolCall = true;
  emit(t, { tool_calls: [{ index: call.index, id: call.callId, type: 'function', function: { name: call.name, arguments: args } }] });
  if (args.length > 0) call.argumentsSent = true;
}

function onItemAdded(t: Translation, event: ResponsesEventOf<'response.output_item.added'>): void {
  if (event.item.type !== 'function_call') return;
  const call = trackToolCall(t, event.item.id, event.output_index);
  if (!call.announced) announce(t, call, event.item, '');
}

function onArgumentsDelta(t: Translation, event: ResponsesEventOf<'response.function_call_arguments.delta'>): void {
  const call = trackToolCall(t, event.item_id, event.output_index);
  if (call.announced) emitArguments(t, call, event.delta);
  else call.buffered += event.delta; // no output_item.added seen: the call is announced whole at output_item.done
}

function onArgumentsDone(t: Translation, event: ResponsesEventOf<'response.function_call_arguments.done'>): void {
  const call = trackToolCall(t, event.item_id, event.output_index);
  const args = event.arguments ?? '';
  if (!call.announced) call.buffered = args || call.buffered;
  else if (!call.argumentsSent && args) emitArguments(t, call, args);
}

/** Keys a streamed item is known by: its id and its output index (either may be missing on one of the events). */
function itemKeys(itemId: string | null | undefined, outputIndex: number | null | undefined): string[] {
  return [...(itemId ? [`item:${itemId}`] : []), ...(typeof outputIndex === 'number' ? [`output:${outputIndex}`] : [])];
}

function markStreamed(seen: Set<string>, itemId: string | null | undefined, outputIndex: number | null | undefined): void {
  const keys = itemKeys(itemId, outputIndex);
  for (const key of keys.length > 0 ? keys : ['anonymous']) seen.add(key);
}

function wasStreamed(seen: Set<string>, itemId: string | null | undefined, outputIndex: number | null | undefined): boolean {
  const keys = itemKeys(itemId, outputIndex);
  return keys.length > 0 ? seen.has('anonymous') || keys.some((key) => seen.has(key)) : seen.size > 0;
}

function contentText(item: ResponsesOutputItem, key: 'text' | 'refusal'): string {
  return (item.content ?? []).map((part) => part[key] ?? '').join('');
}

/** Completes what the deltas did not carry: a call never announced, arguments never streamed, text never streamed. */
function onItemDone(t: Translation, event: ResponsesEventOf<'response.output_item.done'>): void {
  const { item } = event;
  if (item.type === 'function_call') {
    const call = trackToolCall(t, item.id, event.output_index);
    if (!call.announced) announce(t, call, item, item.arguments || call.buffered);
    else if (!call.argumentsSent && item.arguments) emitArguments(t, call, item.arguments);
  } else if (item.type === 'message' && !wasStreamed(t.textItems, item.id, event.output_index)) {
    const text = contentText(item, 'text');
    const refusal = contentText(item, 'refusal');
    if (text) emit(t, { content: text });
    if (refusal) emit(t, { refusal });
  } else if (item.type === 'reasoning' && !wasStreamed(t.reasoningItems, item.id, event.output_index)) {
    const summary = (item.summary ?? []).map((part) => part.text ?? '').filter(Boolean).join('\n\n');
    if (summary) emit(t, { reasoning_content: t.lastReasoningPart === undefined ? summary : `\n\n${summary}` });
    if (summary) t.lastReasoningPart = `done:${item.id ?? ''}`;
  }
}

function onReasoningDelta(t: Translation, event: ResponsesEventOf<'response.reasoning_summary_text.delta'>): void {
  const part = `${event.item_id ?? event.output_index ?? ''}:${event.summary_index ?? 0}`;
  const separator = t.lastReasoningPart !== undefined && t.lastReasoningPart !== part ? '\n\n' : '';
  t.lastReasoningPart = part;
  markStreamed(t.reasoningItems, event.item_id, event.output_index);
  emit(t, { reasoning_content: separator + event.delta });
}

function onTerminal(t: Translation, event: ResponsesEventOf<'response.completed'> | ResponsesEventOf<'response.incomplete'>): void {
  const status = event.type === 'response.completed' ? 'completed' : 'incomplete';
  t.terminal = status;
  t.finishReason = mapFinishReason({ status, incompleteReason: event.response.incomplete_details?.reason, sawToolCall: t.sawToolCall });
  t.usage = mapUsage(event.response.usage);
  emit(t, {}, t.finishReason);
  if (t.options.includeUsage) t.out.push(chunk(t, [], t.usage));
}

function fail(t: Translation, error: ProxyError): never {
  t.terminal = 'failed';
  t.failure = error;
  throw error;
}

function dispatch(t: Translation, event: ResponsesStreamEvent): void {
  switch (event.type) {
    case 'response.created':
    case 'response.in_progress':
      t.responseId = event.response.id ?? t.responseId;
      return;
    case 'response.output_item.added': return onItemAdded(t, event);
    case 'response.output_item.done': return onItemDone(t, event);
    case 'response.function_call_arguments.delta': return onArgumentsDelta(t, event);
    case 'response.function_call_arguments.done': return onArgumentsDone(t, event);
    case 'response.reasoning_summary_text.delta': return onReasoningDelta(t, event);
    case 'response.output_text.delta':
      markStreamed(t.textItems, event.item_id, event.output_index);
      return emit(t, { content: event.delta });
    case 'response.refusal.delta': return emit(t, { refusal: event.delta });
    case 'response.completed':
    case 'response.incomplete': return onTerminal(t, event);
    case 'response.failed':
    case 'error': return fail(t, upstreamFailureToProxyError(failureFromEvent(event), failureContext(t.options)));
    default: return; // reasoning_summary_part.added, content parts, unrecognized events: nothing to say
  }
}

function failureContext(options: ChatChunkTranslatorOptions): FailureContext {
  return { credentialId: options.credentialId ?? 'upstream', model: options.model, nowMs: options.created * 1000 };
}

/** A per-stream translator: push each upstream event, then call finish once the upstream body has ended. */
export function createChatChunkTranslator(options: ChatChunkTranslatorOptions): ChatChunkTranslator {
  const t: Translation = {
    options, out: [], roleSent: false, toolCalls: new Map(), toolCallCount: 0, textItems: new Set(), reasoningItems: new Set(),
    lastReasoningPart: undefined, responseId: undefined, outputEmitted: false, sawToolCall: false, terminal: undefined,
    finishReason: undefined, usage: undefined, failure: undefined,
  };
  const drain = (): ChatChunk[] => t.out.splice(0, t.out.length);
  return {
    push(event) {
      if (t.terminal) return []; // anything after the end (or after a failure) is ignored
      dispatch(t, event);
      return drain();
    },
    finish() {
      if (!t.terminal) fail(t, ProxyError.streamInterrupted(failureContext(options).credentialId, 'the stream closed before response.completed'));
      return drain();
    },
    state: t,
  };
}

/** Folds a whole event sequence into one `chat.completion`; throws the mapped ProxyError on failure or truncation. */
export function toChatCompletion(events: Iterable<ResponsesStreamEvent>, options: Omit<ChatChunkTranslatorOptions, 'includeUsage'>): ChatCompletion {
  const translator = createChatChunkTranslator({ ...options, includeUsage: true });
  const chunks: ChatChunk[] = [];
  for (const event of events) chunks.push(...translator.push(event));
  chunks.push(...translator.finish());
  let content = '';
  let reasoning = '';
  let refusal = '';
  const toolCalls: ChatCompletionToolCall[] = [];
  for (const delta of chunks.flatMap((item) => item.choices.map((choice) => choice.delta))) {
    content += delta.content ?? '';
    reasoning += delta.reasoning_content ?? '';
    refusal += delta.refusal ?? '';
    for (const fragment of delta.tool_calls ?? []) {
      const call = (toolCalls[fragment.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      call.id = fragment.id ?? call.id;
      call.function.name = fragment.function.name ?? call.function.name;
      call.function.arguments += fragment.function.arguments;
    }
  }
  const { finishReason, usage } = translator.state;
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: content.length > 0 ? content : null,
    refusal: refusal.length > 0 ? refusal : null,
    ...(reasoning.length > 0 ? { reasoning_content: reasoning } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  const { completionId, created, model } = options;
  const choices = [{ index: 0, message, finish_reason: finishReason ?? 'stop' }];
  return { id: completionId, object: 'chat.completion', created, model, choices, usage: usage ?? mapUsage(undefined) };
}

/** Folds events into the final Responses object; `output` is rebuilt from output_item.done events when it is empty (6). */
export function toResponsesObject(events: Iterable<ResponsesStreamEvent>, context: FailureContext): Record<string, unknown> {
  const done: Array<{ order: number; outputIndex: number; item: ResponsesOutputItem }> = [];
  for (const event of events) {
    if (event.type === 'response.output_item.done') {
      done.push({ order: done.length, outputIndex: event.output_index ?? Number.MAX_SAFE_INTEGER, item: event.item });
    } else if (event.type === 'response.failed' || event.type === 'error') {
      throw upstreamFailureToProxyError(failureFromEvent(event), context);
    } else if (event.type === 'response.completed' || event.type === 'response.incomplete') {
      const rebuilt = () => done.sort((a, b) => a.outputIndex - b.outputIndex || a.order - b.order).map((entry) => entry.item);
      const output = event.response.output?.length ? event.response.output : rebuilt();
      return { ...event.response, output };
    }
  }
  throw ProxyError.streamInterrupted(context.credentialId, 'the stream closed before response.completed');
}

// ---- upstream failures (codex-protocol.md 6 and 7.1) ----

/** What the failure mapper needs besides the failure itself. */
export interface FailureContext {
  credentialId: string;
  /** The model named in a model-not-found error. */
  model: string;
  /** Used to turn `resets_in_seconds` into an absolute time and `resets_at` into Retry-After. */
  nowMs: number;
}

/** "Please try again in 11.054s" / "in 20ms" / "in 5 seconds" → whole seconds (Codex sse/responses.rs does the same). */
export function retryAfterFromMessage(message: string): number | undefined {
  const match = /try again in\s*([\d.]+)\s*(ms|milliseconds?|s|sec|seconds?)\b/i.exec(message);
  if (!match?.[1] || !match[2]) return undefined;
  const seconds = Number(match[1]) / (match[2].toLowerCase().startsWith('m') ? 1000 : 1);
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : undefined;
}

/** Maps an upstream failure to a ProxyError: 429 for limits, 400/404/401 for the client's or credential's fault, else 502. */
export function upstreamFailureToProxyError(failure: UpstreamFailure, context: FailureContext): ProxyError {
  const { code, type, message, status } = failure;
  const is = (...names: string[]) => names.some((name) => name === code || name === type);
  if (is('usage_limit_reached', 'insufficient_quota')) {
    const resetsInMs = failure.resetsInSeconds !== undefined ? context.nowMs + failure.resetsInSeconds * 1000 : undefined;
    const resetsAtMs = failure.resetsAt !== undefined ? failure.resetsAt * 1000 : resetsInMs;
    return ProxyError.usageLimit([context.credentialId], resetsAtMs, context.nowMs, failure.planType);
  }
  if (is('rate_limit_exceeded', 'rate_limit_error')) return ProxyError.rateLimited(context.credentialId, message, retryAfterFromMessage(message));
  if (is('usage_not_included')) return ProxyError.upstreamError(context.credentialId, 403, message, 'usage_not_included');
  if (is('context_length_exceeded')) return ProxyError.upstreamError(context.credentialId, 400, message, 'context_length_exceeded');
  if (is('model_not_found', 'not_found', 'not_found_error') || status === 404 || /model is not supported/i.test(message)) {
    return ProxyError.modelNotFound(context.model, message);
  }
  if (is('authentication_error', 'token_expired', 'token_revoked', 'invalid_api_key') || status === 401) {
    return ProxyError.needsLogin(context.credentialId, message);
  }
  if (is('invalid_request_error') || status === 400) return ProxyError.upstreamError(context.credentialId, 400, message, code ?? 'invalid_request');
  return ProxyError.upstreamError(context.credentialId, 502, message, code);
}
