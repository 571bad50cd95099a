/**
 * Responses SSE events → Chat Completions answers (codex-protocol.md 8.2). `createChatChunkTranslator` is a
 * stateful per-event translator without I/O or clock (design.md 4.3; its per-event handlers are in
 * chat-chunk-events.ts); `toChatCompletion` folds the same chunks into one `chat.completion`.
 * Upstream failures surface as thrown ProxyErrors (upstream-failure.ts), never as a clean end.
 */
import { ProxyError } from '../errors.js';
import type { ChatChunk, ChatCompletion, ChatCompletionToolCall, ChatFinishReason, ChatUsage } from '../wire/chat.js';
import type { ResponsesStreamEvent } from '../wire/responses.js';
import { failTranslation, failureContext, startTranslation, translateEvent } from './chat-chunk-events.js';
import { mapUsage } from './chat-finish.js';

// Defined in chat-finish.ts, responses-fold.ts and upstream-failure.ts; re-exported so this older import path keeps working.
export { mapFinishReason, mapUsage } from './chat-finish.js';
export { toResponsesObject } from './responses-fold.js';
export {
  failureFromErrorObject,
  failureFromEvent,
  retryAfterFromMessage,
  upstreamFailureToProxyError,
  type FailureContext,
  type UpstreamFailure,
} from './upstream-failure.js';

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

/** A per-stream translator: push each upstream event, then call finish once the upstream body has ended. */
export function createChatChunkTranslator(options: ChatChunkTranslatorOptions): ChatChunkTranslator {
  const t = startTranslation(options);
  // Hands over the chunks made so far and starts a new list (no copy).
  const drain = (): ChatChunk[] => {
    const out = t.out;
    t.out = [];
    return out;
  };
  return {
    push(event) {
      if (t.terminal) return []; // anything after the end (or after a failure) is ignored
      translateEvent(t, event);
      return drain();
    },
    finish() {
      if (!t.terminal) {
        failTranslation(t, ProxyError.streamInterrupted(failureContext(options).credentialId, 'the stream closed before response.completed'));
      }
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
