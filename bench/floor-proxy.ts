/**
 * The floor: the least a Node proxy can do for the non-stream API-key path, in this harness — Fastify (no logger,
 * default JSON parser) and one undici.request to the mock with the same Agent settings as proxycast, the answer text
 * passed back. No validation, routing, credentials, metrics or logging. It runs as its own process (forked from this
 * file, like proxycast's child), so measured against the same direct twin it shows how much of proxycast's figure is
 * the harness and the extra hop itself.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { cpuMsOf, pinProcess, PROXY_CPUS } from './setup.js';

export interface FloorProxy {
  url: string;
  process: ChildProcess;
  cpuMs(): number;
  close(): Promise<void>;
}

/** Forks this file as the floor proxy process and waits for its port. */
export async function startFloorProxy(mockOrigin: string, apiKey: string): Promise<FloorProxy> {
  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: process.env.FLOOR_NODE_ARGS ? process.env.FLOOR_NODE_ARGS.split(' ') : [], env: { PATH: process.env.PATH ?? '', FLOOR_UPSTREAM: mockOrigin, FLOOR_API_KEY: apiKey }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pinProcess(child.pid, PROXY_CPUS);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`floor proxy exited with ${code}`)));
    child.once('message', (message: { port?: number }) => (message.port ? resolve(message.port) : reject(new Error('no port'))));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    cpuMs: () => cpuMsOf(child.pid ?? 0),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function serveFloor(mockOrigin: string, apiKey: string): Promise<void> {
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
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ port: (app.server.address() as { port: number }).port });
  process.on('SIGTERM', () => void app.close().then(() => upstream.close()).finally(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
}

if (process.env.FLOOR_UPSTREAM && process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  await serveFloor(process.env.FLOOR_UPSTREAM, process.env.FLOOR_API_KEY ?? '');
}
