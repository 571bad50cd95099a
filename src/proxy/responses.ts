import type { Runtime } from '../runtime.js';
import { parseResponsesRequest, type ResponsesEnvelope } from '../http/body.js';
import { routeModel } from '../routing/router.js';
import { forwardWithApiKey, passthroughBody } from './api-key-passthrough.js';
import { RESPONSES_END_MARKS, startPassThroughSse } from './passthrough-stream.js';
import { releaseWhenDone, withCredentialAttempts, withRequestConfig } from './attempts.js';
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
import { oauthUpstreamModel } from './oauth-model.js';
import type { ProxiedAnswer, RequestTrace } from './chat-completions.js';

/** API-key credentials: the body goes to `<base>/responses` as is; a stream must end with a terminal event. */
async function viaApiKey(runtime: Runtime, credential: Credential, body: ResponsesEnvelope, trace: RequestTrace): Promise<PreparedAnswer> {
  const stream = body.stream === true;
  const response = await forwardWithApiKey(runtime, credential, '/responses', passthroughBody(body, body.model), stream, trace.signal);
  if (stream) return { kind: 'sse', frames: await startPassThroughSse(credential.id, response, trace.onUsage, RESPONSES_END_MARKS) };
  return readJsonAnswer(credential.id, response, tokenUsageFromResponses, trace.onUsage);
}

/** OAuth credentials: normalised for the Codex backend; streamed back in the Responses format or folded. */
async function viaCodex(runtime: Runtime, credential: Credential, request: ResponsesClientRequest, upstreamModel: string, trace: RequestTrace): Promise<PreparedAnswer> {
  const normalised = normaliseResponsesRequest({ request, upstreamModel, ...(trace.sessionId && !request.prompt_cache_key ? { promptCacheKey: trace.sessionId } : {}) });
  for (const warning of normalised.warnings) runtime.deps.logger.debug({ credential: credential.id, warning }, 'request normalisation');
  const response = await openCodexStream(runtime, credential, normalised.request, normalised.promptCacheKey, trace.signal);
  const reader = readCodexEvents(credential.id, response);
  const context = { credentialId: credential.id, model: request.model, nowMs: runtime.deps.clock.now() };
  if (request.stream === true) return { kind: 'sse', frames: await startResponsesStream(reader, context, trace.onUsage) };
  const result = toResponsesObject(await readAllEvents(reader), context);
  const usage = tokenUsageFromResponses(result.usage);
  if (usage) trace.onUsage(usage);
  return { kind: 'json', status: 200, contentType: 'application/json', body: JSON.stringify(result) };
}

/** POST /v1/responses: the Responses API for clients that speak it. */
export async function proxyResponses(live: Runtime, body: ResponsesEnvelope, trace: RequestTrace): Promise<ProxiedAnswer> {
  const runtime = withRequestConfig(live);
  routeModel(body.model, runtime.config().routing.rules);
  let parsed: ResponsesClientRequest | undefined;
  const parsedRequest = () => (parsed ??= parseResponsesRequest(body));
  let upstreamModel = body.model;
  let stickyKey = trace.sessionId ?? (typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : undefined);
  try {
    stickyKey ??= responsesConversationKey(parsedRequest());
  } catch {
    // An invalid body gets its 400 from the attempt that parses it.
  }
  const { value, credential, release } = await withCredentialAttempts(runtime, { signal: trace.signal, onCredential: trace.onCredential, stickyKey }, async (candidate) => {
    if (candidate.kind === 'api_key') {
      upstreamModel = body.model;
      return viaApiKey(runtime, candidate, body, trace);
    }
    upstreamModel = oauthUpstreamModel(runtime, candidate, body.model);
    return viaCodex(runtime, candidate, parsedRequest(), upstreamModel, trace);
  });
  return { answer: releaseWhenDone(value, release, trace.signal), credential, upstreamModel };
}
