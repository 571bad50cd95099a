import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { parseChatEnvelope, parseResponsesEnvelope } from './body.js';
import { abortWhenClientLeaves } from './client-abort.js';
import { proxyChatCompletions } from '../proxy/chat-completions.js';
import type { ProxiedAnswer, RequestTrace } from '../proxy/pool-request.js';
import { proxyResponses } from '../proxy/responses.js';
import { sendAnswer } from '../proxy/answer.js';
import { listModels } from '../proxy/list-models.js';
import type { CancelSignal } from '../upstream/cancel-signal.js';

/** What happens when a stream fails after output began: logged, counted against the credential. */
function streamFailureRecorder(runtime: Runtime, request: FastifyRequest, credentialId: string): (error: unknown) => void {
  return (error) => {
    request.proxycast.streamFailed = true;
    request.proxycast.errorCode = error instanceof ProxyError ? error.code : 'stream_interrupted';
    request.proxycast.errorMessage = error instanceof Error ? error.message : String(error);
    runtime.deps.logger.warn({ credential: credentialId, code: request.proxycast.errorCode }, 'stream failed after output began');
  };
}

/** The trace of one request: usage and the credential tried feed its log line and metrics. */
function requestTrace(request: FastifyRequest, signal: CancelSignal): RequestTrace {
  const session = request.headers.session_id ?? request.headers['session-id'] ?? request.headers['x-session-id'];
  return {
    signal,
    rawBody: request.proxycast.rawBody,
    sessionId: typeof session === 'string' && session.length > 0 && session.length <= 200 ? session : undefined,
    onUsage: (usage) => {
      request.proxycast.tokens = usage;
    },
    onCredential: (credential) => {
      request.proxycast.credential = credential.id;
    },
  };
}

/** The shared tail of the proxied endpoints: run the proxy with the request's trace, then send what it prepared. */
async function serveProxied(
  runtime: Runtime,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
  proxy: (trace: RequestTrace) => Promise<ProxiedAnswer>,
): Promise<FastifyReply> {
  request.proxycast.model = model;
  const controller = abortWhenClientLeaves(reply);
  const proxied = await proxy(requestTrace(request, controller));
  request.proxycast.credential = proxied.credential.id;
  request.proxycast.upstreamModel = proxied.upstreamModel;
  const headers = { 'x-proxycast-credential': proxied.credential.id, 'x-proxycast-model': proxied.upstreamModel };
  await sendAnswer(reply, proxied.answer, headers, streamFailureRecorder(runtime, request, proxied.credential.id), () => {
    request.proxycast.firstByteAt = performance.now();
  });
  return reply;
}

/** The OpenAI-compatible endpoints: thin handlers that validate, hand over to proxy/, and send. */
export function registerProxyRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseChatEnvelope(request.body);
    return serveProxied(runtime, request, reply, body.model, (trace) => proxyChatCompletions(runtime, body, trace));
  });

  app.post('/v1/responses', async (request, reply) => {
    const body = parseResponsesEnvelope(request.body);
    return serveProxied(runtime, request, reply, body.model, (trace) => proxyResponses(runtime, body, trace));
  });

  app.get('/v1/models', async () => listModels(runtime));
}
