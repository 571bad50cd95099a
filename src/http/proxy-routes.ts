import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { parseChatEnvelope } from './body.js';
import { abortWhenClientLeaves } from './client-abort.js';
import { proxyChatCompletions } from '../proxy/chat-completions.js';
import { sendAnswer } from '../proxy/answer.js';
import { listModels } from '../proxy/list-models.js';

/** The OpenAI-compatible endpoints: thin handlers that validate, hand over to proxy/, and send. */
export function registerProxyRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseChatEnvelope(request.body);
    request.proxycast.model = body.model;
    const controller = abortWhenClientLeaves(request, reply);
    const proxied = await proxyChatCompletions(runtime, body, controller.signal);
    request.proxycast.credential = proxied.credential.id;
    request.proxycast.upstreamModel = proxied.upstreamModel;
    const headers = { 'x-proxycast-credential': proxied.credential.id, 'x-proxycast-model': proxied.upstreamModel };
    await sendAnswer(reply, proxied.answer, headers, (error) => {
      runtime.deps.logger.warn({ credential: proxied.credential.id, err: error }, 'stream failed after output began');
    });
    return reply;
  });

  app.get('/v1/models', async () => listModels(runtime));
}
