import type { Runtime } from '../runtime.js';
import { parseResponsesRequest, type ResponsesEnvelope } from '../http/body.js';
import { forwardJsonWithApiKey, forwardWithApiKey, passthroughBody } from './api-key-passthrough.js';
import { RESPONSES_END_MARKS, startPassThroughSse } from './passthrough-stream.js';
import { clientCacheKey, memoised, proxyThroughPool, valueOrUndefined, type ProxiedAnswer, type RequestTrace } from './pool-request.js';
import type { PreparedAnswer } from './answer.js';
import type { Credential } from '../credentials/credential.js';
import { tokenUsageFromResponses } from '../metrics/usage.js';
import { readJsonAnswer } from './json-answer.js';
import { normaliseResponsesRequest, responsesConversationKey } from '../translate/responses-request.js';
import { toResponsesObject } from '../translate/responses-to-chat.js';
import type { ResponsesClientRequest } from '../wire/responses.js';
import { openCodexStream } from './codex-backend.js';
import { readAllEvents, readCodexEvents } from './codex-events.js';
import { startResponsesStream } from './responses-stream.js';

/** API-key credentials: the body goes to `<base>/responses` as is; a stream must end with a terminal event. */
async function viaApiKey(runtime: Runtime, credential: Credential, body: ResponsesEnvelope, trace: RequestTrace): Promise<PreparedAnswer> {
  const stream = body.stream === true;
  const payload = passthroughBody(body, body.model, trace.rawBody);
  if (stream) {
    const response = await forwardWithApiKey(runtime, credential, '/responses', payload, trace.signal);
    return { kind: 'sse', frames: await startPassThroughSse(credential.id, response, trace.onUsage, RESPONSES_END_MARKS) };
  }
  return readJsonAnswer(credential.id, await forwardJsonWithApiKey(runtime, credential, '/responses', payload, trace.signal), tokenUsageFromResponses, trace.onUsage);
}

/** OAuth credentials: normalised for the Codex backend; streamed back in the Responses format or folded. */
async function viaCodex(runtime: Runtime, credential: Credential, request: ResponsesClientRequest, upstreamModel: string, trace: RequestTrace): Promise<PreparedAnswer> {
  const normalised = normaliseResponsesRequest({ request, upstreamModel, ...(trace.sessionId && !request.prompt_cache_key ? { promptCacheKey: trace.sessionId } : {}) });
  for (const warning of normalised.warnings) runtime.deps.logger.debug({ credential: credential.id, warning }, 'request normalisation');
  const response = await openCodexStream(runtime, credential, normalised.request, normalised.promptCacheKey, trace.signal);
  const reader = readCodexEvents(credential.id, response.source);
  const context = { credentialId: credential.id, model: request.model, nowMs: runtime.deps.clock.now() };
  if (request.stream === true) return { kind: 'sse', frames: await startResponsesStream(reader, context, trace.onUsage) };
  const result = toResponsesObject(await readAllEvents(reader), context);
  const usage = tokenUsageFromResponses(result.usage);
  if (usage) trace.onUsage(usage);
  return { kind: 'json', status: 200, contentType: 'application/json', body: JSON.stringify(result) };
}

/** POST /v1/responses: the Responses API for clients that speak it. */
export async function proxyResponses(live: Runtime, body: ResponsesEnvelope, trace: RequestTrace): Promise<ProxiedAnswer> {
  const parsed = memoised(() => parseResponsesRequest(body));
  return proxyThroughPool(live, trace, {
    model: body.model,
    conversationKey: () => clientCacheKey(body) ?? valueOrUndefined(() => responsesConversationKey(parsed())),
    viaApiKey: (runtime, credential) => viaApiKey(runtime, credential, body, trace),
    viaCodex: (runtime, credential, upstreamModel) => viaCodex(runtime, credential, parsed(), upstreamModel, trace),
  });
}

