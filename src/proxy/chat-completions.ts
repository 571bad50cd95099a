import crypto from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { parseChatRequest, type ChatEnvelope } from '../http/body.js';
import { forwardJsonWithApiKey, forwardWithApiKey, passthroughBody } from './api-key-passthrough.js';
import { startPassThroughSse } from './passthrough-stream.js';
import { clientCacheKey, memoised, proxyThroughPool, valueOrUndefined, type ProxiedAnswer, type RequestTrace } from './pool-request.js';
import type { PreparedAnswer } from './answer.js';
import type { Credential } from '../credentials/credential.js';
import { tokenUsageFromChat } from '../metrics/usage.js';
import { readJsonAnswer } from './json-answer.js';
import { chatConversationKey, chatToResponsesRequest } from '../translate/chat-to-responses.js';
import { toChatCompletion } from '../translate/responses-to-chat.js';
import type { ChatCompletionRequest } from '../wire/chat.js';
import { isKnownEventType } from '../wire/responses.js';
import { openCodexStream } from './codex-backend.js';
import { readAllEvents, readCodexEvents } from './codex-events.js';
import { startChatStream } from './codex-chat-stream.js';

/**
 * The event types the chat translation has no use for, whose frames are dropped unparsed: those no translator reads,
 * and in_progress, which repeats created.
 */
const chatIgnores = (type: string) => type === 'response.in_progress' || !isKnownEventType(type);

/** API-key credentials: the client's body goes to `<base>/chat/completions` as is (routing keys removed). */
async function viaApiKey(runtime: Runtime, credential: Credential, body: ChatEnvelope, trace: RequestTrace): Promise<PreparedAnswer> {
  const stream = body.stream === true;
  const payload = passthroughBody(body, body.model, trace.rawBody);
  if (stream) {
    const response = await forwardWithApiKey(runtime, credential, '/chat/completions', payload, trace.signal);
    return { kind: 'sse', frames: await startPassThroughSse(credential.id, response, trace.onUsage) };
  }
  return readJsonAnswer(credential.id, await forwardJsonWithApiKey(runtime, credential, '/chat/completions', payload, trace.signal), tokenUsageFromChat, trace.onUsage);
}

/** OAuth credentials: translated to the Responses API, sent to the Codex backend, translated back. */
async function viaCodex(runtime: Runtime, credential: Credential, request: ChatCompletionRequest, upstreamModel: string, trace: RequestTrace): Promise<PreparedAnswer> {
  const translated = chatToResponsesRequest({ request, upstreamModel, ...(trace.sessionId && !request.prompt_cache_key ? { promptCacheKey: trace.sessionId } : {}) });
  for (const warning of translated.warnings) runtime.deps.logger.debug({ credential: credential.id, warning }, 'request translation');
  const response = await openCodexStream(runtime, credential, translated.request, translated.promptCacheKey, trace.signal);
  const reader = readCodexEvents(credential.id, response.source, { skipType: chatIgnores });
  const options = { model: request.model, completionId: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(runtime.deps.clock.now() / 1000), credentialId: credential.id };
  if (request.stream === true) {
    const frames = await startChatStream(reader, { ...options, includeUsage: request.stream_options?.include_usage === true }, trace.onUsage);
    return { kind: 'sse', frames };
  }
  const completion = toChatCompletion(await readAllEvents(reader), options);
  const usage = tokenUsageFromChat(completion.usage);
  if (usage) trace.onUsage(usage);
  return { kind: 'json', status: 200, contentType: 'application/json', body: JSON.stringify(completion) };
}

/** POST /v1/chat/completions: route, pick a credential, forward (translating for OAuth), fail over before output. */
export async function proxyChatCompletions(live: Runtime, body: ChatEnvelope, trace: RequestTrace): Promise<ProxiedAnswer> {
  // Parsed for the translator only when an OAuth credential is tried; API keys get the body as sent.
  const parsed = memoised(() => parseChatRequest(body));
  return proxyThroughPool(live, trace, {
    model: body.model,
    conversationKey: () => clientCacheKey(body) ?? valueOrUndefined(() => chatConversationKey(parsed())),
    viaApiKey: (runtime, credential) => viaApiKey(runtime, credential, body, trace),
    viaCodex: (runtime, credential, upstreamModel) => viaCodex(runtime, credential, parsed(), upstreamModel, trace),
  });
}


