import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedOpenAICall {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
  /** The body's bytes as received, as text. */
  rawBody: string;
}

export interface MockOpenAI {
  /** e.g. http://127.0.0.1:PORT (no /v1) */
  origin: string;
  calls: RecordedOpenAICall[];
  /** Sockets the client closed before the answer finished. */
  abortedResponses: number;
  close(): Promise<void>;
}

function lastUserText(body: Record<string, unknown> | undefined): string {
  const messages = Array.isArray(body?.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : [];
  const last = [...messages].reverse().find((message) => message.role === 'user');
  return typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
}

function completion(model: string, text: string) {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  };
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null) {
  return { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

/**
 * A loopback OpenAI-compatible upstream (the API-key path). It answers under any prefix ending in
 * /chat/completions or /models. The reply echoes the last user message; the model name picks a scenario:
 * `error-401`, `error-500`, `cut-stream` (stream closed before [DONE]), `slow-stream` (a chunk every 50 ms).
 */
export async function startMockOpenAI(options: { apiKey?: string; quotaHeaders?: Record<string, string> } = {}): Promise<MockOpenAI> {
  const calls: RecordedOpenAICall[] = [];
  const state = { abortedResponses: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      const path = req.url ?? '';
      calls.push({ method: req.method ?? '', path, headers: req.headers, body, rawBody: text });
      res.on('close', () => {
        if (!res.writableFinished) state.abortedResponses += 1;
      });
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key', param: null } }));
        return;
      }
      if (path.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1, owned_by: 'openai' }] }));
        return;
      }
      const model = String(body?.model ?? '');
      if (model === 'error-500') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'The server had an error', type: 'server_error', code: null, param: null } }));
        return;
      }
      if (model === 'error-400') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: "Invalid value for 'messages'", type: 'invalid_request_error', code: 'invalid_value', param: 'messages' } }));
        return;
      }
      const reply = `echo: ${lastUserText(body)}`;
      for (const [name, value] of Object.entries(options.quotaHeaders ?? {})) res.setHeader(name, value);
      if (model === 'usage-limit') {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_in_seconds: 600 } }));
        return;
      }
      if (body?.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completion(model, reply)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pieces = [chunk(model, { role: 'assistant', content: '' }), ...reply.split(/(?<= )/).map((p) => chunk(model, { content: p })), chunk(model, {}, 'stop')];
      let index = 0;
      const next = () => {
        if (res.destroyed) return;
        if (index < pieces.length) {
          res.write(`data: ${JSON.stringify(pieces[index])}\n\n`);
          index += 1;
          if (model === 'cut-stream' && index === 2) {
            res.destroy();
            return;
          }
          if (model === 'slow-stream') setTimeout(next, 50);
          else setImmediate(next);
          return;
        }
        const includeUsage = (body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
        if (includeUsage) res.write(`data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } } })}\n\n`);
        res.end('data: [DONE]\n\n');
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    calls,
    get abortedResponses() {
      return state.abortedResponses;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
