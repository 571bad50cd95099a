/**
 * A misbehaving loopback upstream built on node:net, so every byte (and every reset) is under the test's control.
 * It speaks just enough HTTP/1.1: it reads one request (head + Content-Length body) per connection, answers with
 * `Connection: close` (so no pooled socket hides a fault from the next request), and picks its behaviour from a
 * `FAULT:<name>` word anywhere in the request body. Good answers echo the request's `MARK:<word>` in the shape the
 * path asks for: `/chat/completions` (JSON or SSE by `stream`), `/responses` (Responses SSE, or JSON when not
 * streamed). GET requests (the OAuth catalog read) get a 404 JSON, so the daemon uses its fallback catalog.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Every behaviour the upstream knows; `ok` is the default. */
export const FAULTS = [
  'ok',
  'reset-before', // RST right after the request is read: no status line at all
  'close-before', // FIN right after the request is read
  'stall-before', // reads the request, then says nothing
  'slow-headers', // the status line and headers trickle in, one byte every 40 ms
  'head-then-reset', // 200 + headers, then RST before any body byte
  'head-then-stall', // 200 + headers, then silence
  'reset-mid', // part of the answer, then RST
  'stall-mid', // part of the answer, then silence
  'slow-body', // the whole good answer, in 7-byte pieces 2 ms apart
  'garbage', // 200 SSE whose frames are not JSON, then FIN
  'truncated', // part of the answer and half a frame, then FIN (close-delimited: looks complete to HTTP)
  'chunked-cut', // chunked encoding, part of the answer, FIN before the last chunk
  'html-200', // 200 text/html page (a captive portal or a CDN block page)
  'html-502', // 502 text/html page
  'huge-json', // 200 JSON completion whose content is HUGE_BYTES long (non-stream chat only)
  'huge-error', // 500 with a HUGE_BYTES body
  'huge-line', // 200 SSE, one data line of HUGE_BYTES without any line break, then FIN
  'huge-stream', // a valid stream of HUGE_STREAM_DELTAS deltas of DELTA_BYTES each, then a clean end
  'endless', // a valid stream that never ends, written as fast as the socket takes it (backpressure probe)
  'echo-auth', // 401 whose error message quotes the Authorization header it got
  'echo-auth-event', // SSE whose response.failed message quotes the Authorization header, before any output
  'echo-auth-mid', // the same after some output
] as const;
export type Fault = (typeof FAULTS)[number];

/** Size of the huge-* answers. */
export const HUGE_BYTES = 24 * 1024 * 1024;
/** huge-stream: 2,000 deltas of 4,000 bytes (8 MB of text). */
export const HUGE_STREAM_DELTAS = 2_000;
export const DELTA_BYTES = 4_000;

export interface FaultRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  fault: Fault;
  /** Bytes of answer written to the socket so far. */
  bytesWritten: number;
  /** True once the daemon closed (or reset) the connection before the answer was complete. */
  closedByPeer: boolean;
}

export interface FaultUpstream {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  requests: FaultRequest[];
  /** Connections currently open. */
  openSockets(): number;
  /** The requests (or "(no request yet)") of the connections currently open. */
  openConnections(): string[];
  /** Stops accepting connections (the port then refuses), keeping the port for `listen()`. */
  refuse(): Promise<void>;
  /** Accepts connections again on the same port. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function markOf(body: string): string {
  return /MARK:([A-Za-z0-9_-]+)/.exec(body)?.[1] ?? 'none';
}

function faultOf(body: string): Fault {
  const name = /FAULT:([a-z0-9-]+)/.exec(body)?.[1];
  return (FAULTS as readonly string[]).includes(name ?? '') ? (name as Fault) : 'ok';
}

function head(status: number, headers: Record<string, string>): string {
  const reason = { 200: 'OK', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway' }[status] ?? 'Status';
  const lines = Object.entries({ connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n`;
}

const sseFrame = (payload: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(payload)}\n\n`;

function chatChunk(delta: Record<string, unknown>, finish: string | null = null) {
  return { id: 'chatcmpl-fault', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'fault-model', choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** The frames of a good chat stream, split where a fault may cut it: [before output, output…, end]. */
function chatStreamFrames(text: string): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  return [sseFrame(chatChunk({ role: 'assistant', content: '' })), ...words.map((word) => sseFrame(chatChunk({ content: word }))), sseFrame(chatChunk({}, 'stop')), 'data: [DONE]\n\n'];
}

function responsesFrames(text: string): string[] {
  const response = { id: 'resp_fault', object: 'response', created_at: 1_700_000_000, model: 'gpt-5.4', status: 'in_progress', output: [] };
  const item = { id: 'msg_fault', type: 'message', role: 'assistant', content: [] };
  const event = (payload: Record<string, unknown>) => sseFrame(payload, String(payload.type));
  const words = text.match(/\S+\s*/g) ?? [text];
  const usage = { input_tokens: 3, output_tokens: words.length, total_tokens: 3 + words.length };
  return [
    event({ type: 'response.created', response }),
    event({ type: 'response.in_progress', response }),
    event({ type: 'response.output_item.added', output_index: 0, item }),
    ...words.map((delta) => event({ type: 'response.output_text.delta', item_id: 'msg_fault', output_index: 0, content_index: 0, delta })),
    event({ type: 'response.output_text.done', item_id: 'msg_fault', output_index: 0, content_index: 0, text }),
    event({ type: 'response.output_item.done', output_index: 0, item: { ...item, content: [{ type: 'output_text', text }] } }),
    event({ type: 'response.completed', response: { ...response, status: 'completed', usage } }),
  ];
}

function chatCompletion(text: string) {
  return {
    id: 'chatcmpl-fault',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'fault-model',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

function responsesObject(text: string) {
  return {
    id: 'resp_fault',
    object: 'response',
    created_at: 1_700_000_000,
    model: 'gpt-5.4',
    status: 'completed',
    output: [{ id: 'msg_fault', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] }],
    usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
  };
}

interface GoodAnswer {
  contentType: string;
  /** The body in pieces; a fault that cuts "mid" keeps the first `cutAt` pieces. */
  pieces: string[];
  cutAt: number;
}

function goodAnswer(request: FaultRequest): GoodAnswer {
  const text = `echo: MARK:${markOf(request.body)} from the fault upstream`;
  const streamed = /"stream"\s*:\s*true/.test(request.body);
  if (request.path.endsWith('/responses')) {
    if (!streamed) return { contentType: 'application/json', pieces: [JSON.stringify(responsesObject(text))], cutAt: 0 };
    return { contentType: 'text/event-stream', pieces: responsesFrames(text), cutAt: 4 };
  }
  if (!streamed) {
    const json = JSON.stringify(chatCompletion(text));
    return { contentType: 'application/json', pieces: [json.slice(0, 40), json.slice(40)], cutAt: 1 };
  }
  return { contentType: 'text/event-stream', pieces: chatStreamFrames(text), cutAt: 3 };
}

/** Writes and counts; resolves false once the peer is gone. Waits for 'drain' so `endless` is paced by the reader. */
function writer(socket: net.Socket, request: FaultRequest) {
  return async (text: string | Buffer): Promise<boolean> => {
    if (socket.destroyed) return false;
    request.bytesWritten += Buffer.byteLength(text);
    if (socket.write(text)) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
  };
}

async function answer(socket: net.Socket, request: FaultRequest, state: { selfClosed: boolean }): Promise<void> {
  const write = writer(socket, request);
  const finish = () => {
    state.selfClosed = true;
    socket.end();
  };
  const reset = () => {
    state.selfClosed = true;
    socket.resetAndDestroy();
  };
  if (request.method === 'GET') {
    const body = JSON.stringify({ detail: 'Not Found' });
    await write(head(404, { 'content-type': 'application/json', 'content-length': String(body.length) }) + body);
    return finish();
  }
  const good = goodAnswer(request);
  const goodHead = head(200, { 'content-type': good.contentType });
  const html = '<!DOCTYPE html>\n<html><head><title>Attention Required!</title></head><body><h1>Sorry, you have been blocked</h1></body></html>\n';
  switch (request.fault) {
    case 'ok':
      await write(goodHead + good.pieces.join(''));
      return finish();
    case 'reset-before':
      return reset();
    case 'close-before':
      return finish();
    case 'stall-before':
      return;
    case 'slow-headers':
      for (const byte of goodHead) {
        if (!(await write(byte))) return;
        await delay(40);
      }
      await write(good.pieces.join(''));
      return finish();
    case 'head-then-reset':
      await write(goodHead);
      await delay(30);
      return reset();
    case 'head-then-stall':
      await write(goodHead);
      return;
    case 'reset-mid':
      await write(goodHead + good.pieces.slice(0, good.cutAt).join(''));
      await delay(30);
      return reset();
    case 'stall-mid':
      await write(goodHead + good.pieces.slice(0, good.cutAt).join(''));
      return;
    case 'slow-body': {
      await write(goodHead);
      const body = good.pieces.join('');
      for (let index = 0; index < body.length; index += 7) {
        if (!(await write(body.slice(index, index + 7)))) return;
        await delay(2);
      }
      return finish();
    }
    case 'garbage':
      await write(head(200, { 'content-type': 'text/event-stream' }));
      for (let index = 0; index < 5; index += 1) await write(`data: <<garbage ${index} ${'\u00ff'.repeat(3)}>>\n\n`);
      return finish();
    case 'truncated': {
      const whole = good.pieces.slice(0, good.cutAt).join('');
      const next = good.pieces[good.cutAt] ?? '';
      await write(goodHead + whole + next.slice(0, Math.floor(next.length / 2)));
      return finish();
    }
    case 'chunked-cut': {
      await write(head(200, { 'content-type': good.contentType, 'transfer-encoding': 'chunked' }));
      for (const piece of good.pieces.slice(0, Math.max(1, good.cutAt))) await write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
      await delay(20);
      return finish();
    }
    case 'html-200':
      await write(head(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(html)) }) + html);
      return finish();
    case 'html-502':
      await write(head(502, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(html)) }) + html);
      return finish();
    case 'huge-json': {
      const [before, after] = JSON.stringify(chatCompletion('@@')).split('@@') as [string, string];
      const filler = Buffer.alloc(HUGE_BYTES, 'x');
      await write(head(200, { 'content-type': 'application/json', 'content-length': String(before.length + filler.length + after.length) }));
      await write(before);
      await write(filler);
      await write(after);
      return finish();
    }
    case 'huge-error': {
      await write(head(500, { 'content-type': 'application/json', 'content-length': String(HUGE_BYTES + 2) }));
      await write('{"');
      await write(Buffer.alloc(HUGE_BYTES, 'y'));
      return finish();
    }
    case 'huge-line':
      await write(head(200, { 'content-type': 'text/event-stream' }));
      await write('data: {"type":"response.output_text.delta","delta":"');
      for (let sent = 0; sent < HUGE_BYTES; sent += 1024 * 1024) if (!(await write(Buffer.alloc(1024 * 1024, 'z')))) return;
      return finish();
    case 'huge-stream': {
      const responses = request.path.endsWith('/responses');
      const frames = responses ? responsesFrames('h') : chatStreamFrames('h');
      const delta = 'h'.repeat(DELTA_BYTES);
      const filler = responses
        ? sseFrame({ type: 'response.output_text.delta', item_id: 'msg_fault', output_index: 0, content_index: 0, delta }, 'response.output_text.delta')
        : sseFrame(chatChunk({ content: delta }));
      // The good answer minus its one-word text, with the huge text in its place.
      const [before, after] = responses ? [frames.slice(0, 3), frames.slice(4)] : [frames.slice(0, 1), frames.slice(2)];
      if (!(await write(goodHead + before.join('')))) return;
      for (let index = 0; index < HUGE_STREAM_DELTAS; index += 1) if (!(await write(filler))) return;
      await write(after.join(''));
      return finish();
    }
    case 'endless': {
      const frames = good.contentType === 'text/event-stream' ? good.pieces : chatStreamFrames('x');
      if (!(await write(goodHead + frames.slice(0, good.cutAt).join('')))) return;
      const filler = request.path.endsWith('/responses')
        ? sseFrame({ type: 'response.output_text.delta', item_id: 'msg_fault', output_index: 0, content_index: 0, delta: 'y'.repeat(4000) }, 'response.output_text.delta')
        : sseFrame(chatChunk({ content: 'y'.repeat(4000) }));
      const block = filler.repeat(16);
      while (await write(block));
      return;
    }
    case 'echo-auth': {
      const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${request.headers.authorization ?? ''}`, type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
      await write(head(401, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) + body);
      return finish();
    }
    case 'echo-auth-event':
    case 'echo-auth-mid': {
      const failed = { type: 'response.failed', response: { id: 'resp_fault', status: 'failed', error: { code: 'server_error', message: `upstream choked on ${request.headers.authorization ?? ''}` } } };
      const before = request.fault === 'echo-auth-event' ? 2 : good.cutAt;
      await write(head(200, { 'content-type': 'text/event-stream' }) + good.pieces.slice(0, before).join('') + sseFrame(failed, 'response.failed'));
      return finish();
    }
  }
}

/** Reads one request (head and Content-Length body) off a socket. */
function readRequest(socket: net.Socket, onRequest: (request: FaultRequest) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end === -1) return;
    const [requestLine = '', ...headerLines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (buffered.length < end + 4 + length) return;
    socket.off('data', onData);
    const [method = '', path = ''] = requestLine.split(' ');
    const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
    onRequest({ method, path, headers, body, fault: faultOf(body), bytesWritten: 0, closedByPeer: false });
  };
  socket.on('data', onData);
}

/** Starts the upstream on 127.0.0.1, port 0. */
export async function startFaultUpstream(): Promise<FaultUpstream> {
  const requests: FaultRequest[] = [];
  const sockets = new Set<net.Socket>();
  const requestOf = new WeakMap<net.Socket, FaultRequest>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let request: FaultRequest | undefined;
    // Set when this side ends or resets the connection; any other close is the daemon hanging up.
    const state = { selfClosed: false };
    socket.on('close', () => {
      sockets.delete(socket);
      if (request && !state.selfClosed) request.closedByPeer = true;
    });
    readRequest(socket, (read) => {
      request = read;
      requestOf.set(socket, read);
      requests.push(read);
      answer(socket, read, state).catch(() => socket.destroy());
    });
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    openSockets: () => sockets.size,
    openConnections: () => [...sockets].map((socket) => {
      const request = requestOf.get(socket);
      return request ? `${request.method} ${request.path} ${request.fault}` : '(no request yet)';
    }),
    refuse: () => new Promise<void>((resolve) => server.close(() => resolve())),
    listen: () => listen(port),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
