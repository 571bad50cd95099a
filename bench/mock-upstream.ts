/**
 * The benchmark's loopback upstream, run as its own process (`child_process.fork` of the built file) so its CPU is
 * not the proxy's. It plays both upstreams proxycast talks to:
 *   POST /v1/chat/completions            an OpenAI-compatible API (API-key credentials): JSON, or chat chunks with stream
 *   POST /backend-api/codex/responses    the ChatGPT Codex backend (OAuth credentials): Responses SSE, event:/data: frames
 *   GET  /backend-api/codex/models       the Codex catalog; GET /v1/models the OpenAI list
 * Answers are built once per shape (bench/mock-answers.ts) and written whole, with no delay, unless the request's
 * `[[bench events=N gap=MS split=MS]]` directive asks for a pause between deltas (the slow scenario that holds
 * streams open) or for the rest of the answer to follow the first delta after a pause (the first-byte scenario).
 * It tells its parent the port over IPC ({ port }); a { type: 'stats' } message is answered
 * with its RSS and the number of connections and requests it has seen (keep-alive check).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatChunkFrames, chatCompletionBody, FRAMING_EVENTS, readDirective, responsesEvents, responsesFrame, type Directive } from './mock-answers.js';

interface SseAnswer {
  /** The whole answer as one buffer (gap 0). */
  whole: Buffer;
  /** Frames before the first delta, the deltas one by one, and the frames after them (gap > 0). */
  head: Buffer;
  deltas: Buffer[];
  tail: Buffer;
}

const CODEX_MODELS = ['gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5'];
const cache = new Map<string, SseAnswer>();
const chatJson = new Map<string, Buffer>();
let requestCount = 0;

function sseAnswer(kind: 'responses' | 'chat', events: number, model: string): SseAnswer {
  const key = `${kind}:${events}:${model}`;
  let answer = cache.get(key);
  if (answer) return answer;
  const frames = kind === 'responses' ? responsesEvents(events, { model }).map(responsesFrame) : chatChunkFrames(model, events);
  // Responses: 4 frames before the deltas, 4 after; chat: the role chunk before, finish + usage + [DONE] after.
  const [before, after] = kind === 'responses' ? [FRAMING_EVENTS / 2, FRAMING_EVENTS / 2] : [1, 3];
  answer = {
    whole: Buffer.from(frames.join('')),
    head: Buffer.from(frames.slice(0, before).join('')),
    deltas: frames.slice(before, frames.length - after).map((frame) => Buffer.from(frame)),
    tail: Buffer.from(frames.slice(frames.length - after).join('')),
  };
  cache.set(key, answer);
  return answer;
}

/** The x-codex-* quota headers the backend sends on every answer (codex-protocol.md 7). */
function codexHeaders(): Record<string, string> {
  requestCount += 1;
  const now = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-codex-plan-type': 'plus',
    'x-codex-primary-used-percent': '12.5',
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-at': String(now + 3600),
    'x-codex-primary-reset-after-seconds': '3600',
    'x-codex-secondary-used-percent': '40',
    'x-codex-secondary-window-minutes': '10080',
    'x-codex-secondary-reset-at': String(now + 3 * 86400),
    'x-codex-secondary-reset-after-seconds': String(3 * 86400),
    'x-oai-request-id': `req_bench_${requestCount}`,
  };
}

function openAIHeaders(contentType: string): Record<string, string> {
  requestCount += 1;
  return {
    'content-type': contentType,
    'x-request-id': `req_bench_${requestCount}`,
    'openai-processing-ms': '412',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-tokens': '29999000',
  };
}

/**
 * Writes an SSE answer: whole at once; or the opening events with the first delta at once, then either the rest
 * `splitMs` later or one delta every `gapMs` and the closing events. The first delta always travels with the
 * opening events, so a direct client and proxycast (which holds the stream until the first output) can start on
 * the same bytes. Stops when the client leaves.
 */
function writeSse(res: http.ServerResponse, answer: SseAnswer, directive: Directive): void {
  const { gapMs, splitMs } = directive;
  if (gapMs <= 0 && splitMs <= 0) {
    res.end(answer.whole);
    return;
  }
  res.write(Buffer.concat([answer.head, answer.deltas[0] ?? Buffer.alloc(0)]));
  if (gapMs <= 0) {
    const timer = setTimeout(() => res.end(Buffer.concat([...answer.deltas.slice(1), answer.tail])), splitMs);
    res.on('close', () => clearTimeout(timer));
    return;
  }
  let next = 1;
  const timer = setInterval(() => {
    if (res.destroyed) {
      clearInterval(timer);
      return;
    }
    const delta = answer.deltas[next];
    next += 1;
    if (delta) res.write(delta);
    if (next >= answer.deltas.length) {
      clearInterval(timer);
      res.end(answer.tail);
    }
  }, gapMs);
  res.on('close', () => clearInterval(timer));
}

function json(res: http.ServerResponse, status: number, body: string | Buffer): void {
  res.writeHead(status, openAIHeaders('application/json')).end(body);
}

function parseBody(raw: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(raw) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  const path = (req.url ?? '/').split('?')[0];
  if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return json(res, 401, '{"error":{"message":"missing bearer token","type":"invalid_request_error","code":"invalid_api_key"}}');
  if (req.method === 'GET' && path === '/backend-api/codex/models') {
    return json(res, 200, JSON.stringify({ models: CODEX_MODELS.map((slug, priority) => ({ slug, display_name: slug, visibility: 'list', supported_in_api: true, priority })) }));
  }
  if (req.method === 'GET' && path === '/v1/models') return json(res, 200, JSON.stringify({ object: 'list', data: CODEX_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'openai' })) }));
  if (req.method !== 'POST') return json(res, 404, '{"error":{"message":"not found"}}');
  const body = parseBody(raw);
  if (!body) return json(res, 400, '{"error":{"message":"invalid JSON body","type":"invalid_request_error"}}');
  const model = typeof body.model === 'string' ? body.model : 'gpt-5.4';
  const directive = readDirective(raw);
  if (path === '/backend-api/codex/responses') {
    if (!req.headers['chatgpt-account-id']) return json(res, 400, '{"detail":"Missing ChatGPT-Account-ID header"}');
    res.writeHead(200, codexHeaders());
    return writeSse(res, sseAnswer('responses', directive.events, model), directive);
  }
  if (path === '/v1/chat/completions') {
    if (body.stream === true) {
      res.writeHead(200, { ...openAIHeaders('text/event-stream'), 'cache-control': 'no-cache' });
      return writeSse(res, sseAnswer('chat', directive.events, model), directive);
    }
    let cached = chatJson.get(model);
    if (!cached) chatJson.set(model, (cached = Buffer.from(chatCompletionBody(model))));
    return json(res, 200, cached);
  }
  return json(res, 404, '{"error":{"message":"not found"}}');
}

const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => answer(req, res, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
});
let connections = 0;
server.on('connection', () => (connections += 1));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ port });
  else process.stdout.write(`mock upstream on http://127.0.0.1:${port}\n`);
});
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stats') process.send?.({ type: 'stats', rss: process.memoryUsage.rss(), connections, requests: requestCount });
});
process.on('disconnect', () => process.exit(0));
