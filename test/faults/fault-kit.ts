/**
 * Shared pieces of the fault suite: daemons in front of a fault upstream on both credential paths, a raw HTTP
 * client, an SSE reader for the client side and the OpenAI error-shape check.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { expect } from 'vitest';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { oauthHome } from '../helpers/oauth-home.js';

/** Small upstream timeouts so stalls fire fast. */
export const FAST_TIMEOUTS = 'upstream:\n  first_byte_timeout_ms: 400\n  idle_timeout_ms: 400\n';

/** A distinctive fake API key, built at run time (never a literal in the repo). */
export function fakeApiKey(label: string): string {
  return ['sk', 'proxycast', label, crypto.randomBytes(12).toString('hex')].join('-');
}

/** A daemon whose only credential is an API key for `baseUrl` (api_base_url of its token file). */
export async function startApiKeyDaemon(baseUrl: string, options: { apiKey?: string; extraConfig?: string; id?: string } = {}): Promise<TestDaemon & { apiKey: string }> {
  const apiKey = options.apiKey ?? fakeApiKey('fault');
  const id = options.id ?? 'key-1';
  const home = makeTempHome({
    'config.yaml': `auth_dir: ~/auth\ncodex:\n  import_cli: false\ncredential_pool:\n  codex:\n    - { id: ${id}, token_file: codex/${id}.json }\n${options.extraConfig ?? ''}`,
    [`auth/codex/${id}.json`]: JSON.stringify({ api_key: apiKey, api_base_url: baseUrl }),
  });
  const daemon = await startTestDaemon({ home });
  return Object.assign(daemon, { apiKey });
}

/** A daemon whose only credential is an OAuth login pointed at `codexBaseUrl` (codex.chatgpt_base_url). */
export async function startOAuthDaemon(codexBaseUrl: string, options: { extraConfig?: string; id?: string; clock?: FakeClock } = {}): Promise<TestDaemon & { accessToken: string }> {
  const clock = options.clock ?? new FakeClock();
  const id = options.id ?? 'oauth-1';
  const { home, tokens } = oauthHome(clock, codexBaseUrl, [id], options.extraConfig ?? '');
  const daemon = await startTestDaemon({ home, clock });
  return Object.assign(daemon, { accessToken: tokens[id] ?? '' });
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** POSTs JSON (or raw text) and reads the whole answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer any-client', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A chat request whose last user message carries the fault word and a marker. */
export function chatBody(fault: string, mark: string, stream: boolean, model = 'gpt-5.4'): Record<string, unknown> {
  return { model, stream, messages: [{ role: 'user', content: `FAULT:${fault} MARK:${mark}` }] };
}

/** A Responses request with the fault word and a marker. */
export function responsesBody(fault: string, mark: string, stream: boolean, model = 'gpt-5.4'): Record<string, unknown> {
  return { model, stream, input: [{ role: 'user', content: [{ type: 'input_text', text: `FAULT:${fault} MARK:${mark}` }] }] };
}

export interface SseFrame {
  event: string | undefined;
  data: string;
}

/** Splits an SSE body into frames as a client would (blank line ends a frame; `event:` and `data:` lines). */
export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    if (block.trim() === '') continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0 || event) frames.push({ event, data: data.join('\n') });
  }
  return frames;
}

/** The OpenAI error body, checked for its exact shape. */
export function expectOpenAIErrorBody(text: string): { message: string; type: string; code: string; param: string | null } {
  let json: unknown;
  expect(() => (json = JSON.parse(text)), `not JSON: ${text.slice(0, 200)}`).not.toThrow();
  const error = (json as { error?: Record<string, unknown> }).error;
  expect(Object.keys(json as object)).toEqual(['error']);
  expect(error && Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof error?.message).toBe('string');
  expect((error?.message as string).length).toBeGreaterThan(10);
  expect(typeof error?.type).toBe('string');
  expect(typeof error?.code).toBe('string');
  return error as { message: string; type: string; code: string; param: string | null };
}

/** A plain HTTP error in the OpenAI shape with this status and code (never a 200 stream, never HTML). */
export function expectHttpError(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.headers.get('content-type')).toContain('application/json');
  expect(expectOpenAIErrorBody(answer.text).code).toBe(code);
}

/** An honest failed stream: 200 event stream, an `error` event in the OpenAI shape last, and no [DONE]. */
export function expectStreamError(answer: Answer, code: string): SseFrame[] {
  expect(answer.status, answer.text.slice(0, 300)).toBe(200);
  expect(answer.headers.get('content-type')).toContain('text/event-stream');
  const frames = parseSse(answer.text);
  expect(frames.some((frame) => frame.data === '[DONE]')).toBe(false);
  const last = frames.at(-1);
  expect(last?.event).toBe('error');
  expect(expectOpenAIErrorBody(last?.data ?? '').code).toBe(code);
  return frames;
}

/** The text a chat answer (JSON or SSE) carries. */
export function chatText(answer: Answer): string {
  if (answer.headers.get('content-type')?.includes('text/event-stream')) {
    return parseSse(answer.text)
      .filter((frame) => frame.data !== '[DONE]' && frame.event === undefined)
      .map((frame) => (JSON.parse(frame.data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
  }
  return (JSON.parse(answer.text) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content ?? '';
}

/** The output text of a Responses answer (JSON or SSE). */
export function responsesText(answer: Answer): string {
  if (answer.headers.get('content-type')?.includes('text/event-stream')) {
    return parseSse(answer.text)
      .filter((frame) => frame.event === 'response.output_text.delta')
      .map((frame) => (JSON.parse(frame.data) as { delta: string }).delta)
      .join('');
  }
  const body = JSON.parse(answer.text) as { output: Array<{ content?: Array<{ text?: string }> }> };
  return body.output.flatMap((item) => item.content ?? []).map((part) => part.text ?? '').join('');
}

/** Sends raw bytes to host:port and returns everything the server sent back before it closed (or `waitMs` passed). */
export function rawRequest(port: number, bytes: string | Buffer, waitMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      // A reset after the answer was sent still leaves us the answer.
      if (chunks.length === 0) reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}

/** Splits a raw HTTP/1.1 answer into status, headers and body (no chunked decoding needed for JSON errors here). */
export function parseRawAnswer(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, end === -1 ? raw.length : end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end === -1 ? '' : raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body };
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd === -1) return out;
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!size) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** Waits until `check` is true (polling every 20 ms), or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One way a client reaches an upstream: credential kind × endpoint × stream or not. */
export interface Variant {
  name: string;
  path: 'api' | 'oauth';
  endpoint: '/v1/chat/completions' | '/v1/responses';
  stream: boolean;
}

/** Every path a fault can travel: API-key and OAuth credentials, both endpoints, streamed and not. */
export const VARIANTS: Variant[] = (['api', 'oauth'] as const).flatMap((path) =>
  (['/v1/chat/completions', '/v1/responses'] as const).flatMap((endpoint) =>
    [true, false].map((stream) => ({ name: `${path === 'api' ? 'API key' : 'OAuth'} ${endpoint.slice(4)} ${stream ? 'stream' : 'JSON'}`, path, endpoint, stream })),
  ),
);

/** What a client must see. */
export type Outcome = { kind: 'http'; status: number; code: string } | { kind: 'stream-error'; code: string } | { kind: 'ok' };
export const httpError = (status: number, code: string): Outcome => ({ kind: 'http', status, code });
export const streamError = (code: string): Outcome => ({ kind: 'stream-error', code });
export const answered: Outcome = { kind: 'ok' };

/** The request body of a variant. */
export function variantBody(variant: Variant, fault: string, mark: string): Record<string, unknown> {
  return variant.endpoint === '/v1/chat/completions' ? chatBody(fault, mark, variant.stream) : responsesBody(fault, mark, variant.stream);
}

/** The answer's text for a variant (chat or Responses, JSON or SSE). */
export function variantText(variant: Variant, answer: Answer): string {
  return variant.endpoint === '/v1/chat/completions' ? chatText(answer) : responsesText(answer);
}

/** Checks an answer against the outcome; for a failed stream, every frame before the error must be whole JSON. */
export function expectOutcome(variant: Variant, answer: Answer, outcome: Outcome, mark: string): void {
  if (outcome.kind === 'http') return expectHttpError(answer, outcome.status, outcome.code);
  if (outcome.kind === 'stream-error') {
    const frames = expectStreamError(answer, outcome.code);
    for (const frame of frames.slice(0, -1)) expect(() => JSON.parse(frame.data), `a broken frame reached the client: ${frame.data.slice(0, 120)}`).not.toThrow();
    return;
  }
  expect(answer.status, answer.text.slice(0, 300)).toBe(200);
  expect(answer.headers.get('content-type')).toContain(variant.stream ? 'text/event-stream' : 'application/json');
  if (variant.stream && variant.endpoint === '/v1/chat/completions') expect(answer.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  expect(variantText(variant, answer)).toBe(`echo: MARK:${mark} from the fault upstream`);
}

/** After a fault: the same kind of request, well answered, proves the daemon still serves. */
export async function expectStillServing(url: string, variant: Variant, mark: string): Promise<void> {
  const answer = await post(`${url}${variant.endpoint}`, variantBody(variant, 'ok', mark));
  expectOutcome(variant, answer, answered, mark);
}
