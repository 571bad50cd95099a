/**
 * The per-event half of the Responses → Chat translator (design.md 4.3): the state one answer builds up, and one
 * small handler per event kind that turns an event into chat chunks appended to `state.out`. No I/O, no clock.
 * The public contract (createChatChunkTranslator) is in responses-to-chat.ts.
 */
import { ProxyError } from '../errors.js';
import type { ChatChunk, ChatChunkDelta, ChatFinishReason, ChatUsage } from '../wire/chat.js';
import type { ResponsesEventOf, ResponsesOutputItem, ResponsesStreamEvent } from '../wire/responses.js';
import { mapFinishReason, mapUsage } from './chat-finish.js';
import type { ChatChunkTranslatorOptions, ChatChunkTranslatorState } from './responses-to-chat.js';
import { failureFromEvent, upstreamFailureToProxyError, type FailureContext } from './upstream-failure.js';

interface ToolCallState { index: number; callId: string; name: string; announced: boolean; argumentsSent: boolean; buffered: string }

/** The whole state of one translation: the public state plus what the handlers need to keep chunks consistent. */
export interface Translation extends ChatChunkTranslatorState {
  options: ChatChunkTranslatorOptions;
  /** Chunks produced since the last drain. */
  out: ChatChunk[];
  roleSent: boolean;
  toolCalls: Map<string, ToolCallState>;
  toolCallCount: number;
  textItems: Set<string>;
  /** The text item the last delta marked in textItems. */
  lastTextItem: { itemId: string | null | undefined; outputIndex: number | null | undefined } | undefined;
  reasoningItems: Set<string>;
  lastReasoningPart: string | undefined;
}

/** A fresh translation for one answer. */
export function startTranslation(options: ChatChunkTranslatorOptions): Translation {
  return {
    options, out: [], roleSent: false, toolCalls: new Map(), toolCallCount: 0, textItems: new Set(), lastTextItem: undefined, reasoningItems: new Set(),
    lastReasoningPart: undefined, responseId: undefined, outputEmitted: false, sawToolCall: false, terminal: undefined,
    finishReason: undefined, usage: undefined, failure: undefined,
  };
}

/** The failure-mapper context of a translation; the credential defaults to "upstream". */
export function failureContext(options: ChatChunkTranslatorOptions): FailureContext {
  return { credentialId: options.credentialId ?? 'upstream', model: options.model, nowMs: options.created * 1000 };
}

/** Marks the translation failed and throws the error; push/finish let it reach the caller. */
export function failTranslation(t: Translation, error: ProxyError): never {
  t.terminal = 'failed';
  t.failure = error;
  throw error;
}

function chunk(t: Translation, choices: ChatChunk['choices'], usage?: ChatUsage): ChatChunk {
  const { completionId, created, model } = t.options;
  const made: ChatChunk = { id: completionId, object: 'chat.completion.chunk', created, model, choices };
  if (usage) made.usage = usage; // set, not spread: no throwaway object per chunk
  return made;
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

// ---- tool calls ----

/** Tool calls are keyed by item id and by output index, so interleaved calls stay apart (CPA does the same). */
function trackToolCall(t: Translation, itemId: string | null | undefined, outputIndex: number | null | undefined): ToolCallState {
  const keys = itemKeys(itemId, outputIndex);
  const known = keys.map((key) => t.toolCalls.get(key)).find((call) => call !== undefined);
  if (known) return known;
  const call: ToolCallState = { index: -1, callId: '', name: '', announced: false, argumentsSent: false, buffered: '' };
  for (const key of keys) t.toolCalls.set(key, call);
  return call;
}

function emitArguments(t: Translation, call: ToolCallState, args: string): void {
  emit(t, { tool_calls: [{ index: call.index, function: { arguments: args } }] });
  call.argumentsSent = true;
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

// ---- finished items, reasoning, the end ----

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

/** Appends the chunks one event means to `t.out`; throws the mapped ProxyError for `error` / `response.failed`. */
export function translateEvent(t: Translation, event: ResponsesStreamEvent): void {
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
      // Marked once per item, not per delta (the keys are strings built per call).
      if (!t.lastTextItem || t.lastTextItem.itemId !== event.item_id || t.lastTextItem.outputIndex !== event.output_index) {
        markStreamed(t.textItems, event.item_id, event.output_index);
        t.lastTextItem = { itemId: event.item_id, outputIndex: event.output_index };
      }
      return emit(t, { content: event.delta });
    case 'response.refusal.delta': return emit(t, { refusal: event.delta });
    case 'response.completed':
    case 'response.incomplete': return onTerminal(t, event);
    case 'response.failed':
    case 'error': return failTranslation(t, upstreamFailureToProxyError(failureFromEvent(event), failureContext(t.options)));
    default: return; // reasoning_summary_part.added, content parts, unrecognized events: nothing to say
  }
}
