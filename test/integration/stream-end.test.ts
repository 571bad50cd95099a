/**
 * The end of a translated stream: the client's [DONE] and the end of its response go out as soon as the upstream's
 * response.completed arrives, not when the upstream closes its body; and once that body does end, its connection
 * goes back to the pool (the next answer is served on the same upstream socket).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { oauthHome } from '../helpers/oauth-home.js';

interface HoldingUpstream {
  baseUrl: string;
  /** Connections the upstream has accepted so far. */
  connections: number;
  /** Whether the body of the answer being held has been ended. */
  bodyEnded: boolean;
  /** Ends the held body. */
  release(): void;
  close(): Promise<void>;
}

/** A Codex backend that sends a whole answer, then holds its body open until release(). */
async function startHoldingUpstream(): Promise<HoldingUpstream> {
  let releaseHeld: () => void = () => undefined;
  const state = { bodyEnded: false };
  let connections = 0;
  const server = http.createServer((req, res) => {
    if (!req.url?.endsWith('/responses')) {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events = [
        { type: 'response.created', response: { id: 'resp_1', status: 'in_progress' } },
        { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_1', role: 'assistant' } },
        { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'held ' },
        { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'answer' },
        { type: 'response.completed', response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } } },
      ];
      for (const event of events) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      state.bodyEnded = false;
      releaseHeld = () => {
        state.bodyEnded = true;
        res.end();
      };
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/backend-api/codex`,
    get connections() {
      return connections;
    },
    get bodyEnded() {
      return state.bodyEnded;
    },
    release: () => releaseHeld(),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let daemon: TestDaemon | undefined;
let upstream: HoldingUpstream | undefined;
afterEach(async () => {
  upstream?.release();
  await daemon?.stop();
  await upstream?.close();
});

/**
 * Three turns through a daemon on the holding upstream: each turn's client stream must be over while the upstream
 * body is still open; then the body is ended. Turns 2 and 3 must open no connection: the drained ones are back in
 * the pool (the first turn may share the daemon's start with its model-catalog fetch, so it can open one more).
 */
async function threeHeldTurns(turn: (client: OpenAI, index: number) => Promise<void>): Promise<void> {
  const held = await startHoldingUpstream();
  upstream = held;
  const clock = new FakeClock();
  daemon = await startTestDaemon({ home: oauthHome(clock, held.baseUrl, ['acct']).home, clock });
  const client = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: 'anything', maxRetries: 0 });
  const connectionsAfterTurn: number[] = [];
  for (let index = 1; index <= 3; index += 1) {
    await turn(client, index);
    expect(held.bodyEnded).toBe(false);
    held.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    connectionsAfterTurn.push(held.connections);
  }
  expect(connectionsAfterTurn[2]).toBe(connectionsAfterTurn[0]);
}

describe('the end of a translated stream', () => {
  it('sends [DONE] on response.completed while the upstream body is still open, then reuses the connection', async () => {
    await threeHeldTurns(async (client, index) => {
      const stream = await client.chat.completions.create({ model: 'gpt-5.4', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `turn ${index}` }] });
      let text = '';
      let usage: number | undefined;
      for await (const part of stream) {
        text += part.choices[0]?.delta.content ?? '';
        usage = part.usage?.total_tokens ?? usage;
      }
      expect(text).toBe('held answer');
      expect(usage).toBe(5);
    });
  });

  it('ends a /v1/responses stream on response.completed too, and reuses the drained connection', async () => {
    await threeHeldTurns(async (client, index) => {
      const stream = await client.responses.create({ model: 'gpt-5.4', stream: true, input: `turn ${index}` });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types.at(-1)).toBe('response.completed');
      expect(types.filter((type) => type === 'response.output_text.delta')).toHaveLength(2);
    });
  });
});
