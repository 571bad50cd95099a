/**
 * The floor: the least a Node proxy can do for the non-stream API-key path, in this process and this harness —
 * Fastify (no logger, default JSON parser) and one undici.request to the mock with the same Agent settings as
 * proxycast, the answer text passed back. No validation, routing, credentials, metrics or logging. Measured against
 * the same direct twin, it shows how much of proxycast's figure is the harness and the hop itself.
 */
import Fastify from 'fastify';
import { Agent, request } from 'undici';

export interface FloorProxy {
  url: string;
  close(): Promise<void>;
}

export async function startFloorProxy(mockOrigin: string, apiKey: string): Promise<FloorProxy> {
  const upstream = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  const app = Fastify({ logger: false });
  app.post('/v1/chat/completions', async (incoming, reply) => {
    const response = await request(`${mockOrigin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(incoming.body),
      dispatcher: upstream,
    });
    const text = await response.body.text();
    reply.code(response.statusCode).header('content-type', 'application/json');
    return text;
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    close: async () => {
      await app.close();
      await upstream.close();
    },
  };
}
