/**
 * Hostile and malformed requests, table-driven: wrong types at every level, huge strings, 10,000-deep nesting,
 * invalid UTF-8, unknown roles, bodies over server.body_limit_bytes (declared, streamed, sent), header injection and
 * broken framing over raw sockets, path traversal and prototype keys in admin and page paths, and token_file paths
 * outside auth_dir. Each is a 4xx in the exact OpenAI error shape (never a 500, never HTML), none reaches an
 * upstream, and the daemons serve on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, makeTempHome, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { oauthTokenFile } from '../helpers/oauth-home.js';
import { expectOpenAIErrorBody, parseRawAnswer, rawRequest, startApiKeyDaemon, startOAuthDaemon } from './fault-kit.js';

const BODY_LIMIT = 64 * 1024;
const LIMITS = `server:\n  body_limit_bytes: ${BODY_LIMIT}\n`;

let codex: MockCodex;
let openai: MockOpenAI;
let oauthDaemon: TestDaemon;
let apiDaemon: TestDaemon;

beforeAll(async () => {
  codex = await startMockCodex();
  openai = await startMockOpenAI();
  oauthDaemon = await startOAuthDaemon(codex.baseUrl, { extraConfig: LIMITS });
  apiDaemon = await startApiKeyDaemon(openai.origin, { extraConfig: LIMITS });
});
afterAll(async () => {
  await oauthDaemon?.stop();
  await apiDaemon?.stop();
  await codex?.close();
  await openai?.close();
});

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const MB = 1024 * 1024;

const json = (value: unknown) => JSON.stringify(value);
const user = (content: unknown) => json({ model: 'gpt-5.4', messages: [{ role: 'user', content }] });
const withUser = (extra: Record<string, unknown>) => json({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }], ...extra });
const messages = (list: unknown) => json({ model: 'gpt-5.4', messages: list });
const responses = (extra: Record<string, unknown>) => json({ model: 'gpt-5.4', input: 'x', ...extra });
const nested = (open: string, close: string, depth: number) => `${open.repeat(depth)}"x"${close.repeat(depth)}`;
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

/** A request sent with fetch: a body (JSON text or raw bytes) to a path. */
interface BodyCase {
  name: string;
  path?: string;
  body: string | Buffer;
  status: number;
  code: string;
  param?: string | null;
  /** Where it runs: the envelope checks run on both credential paths, the translator's checks on OAuth only. */
  on: 'both' | 'oauth';
}

const BODY_CASES: BodyCase[] = [
  // JSON itself
  { name: 'malformed JSON', body: '{"model": "gpt-5.4",', status: 400, code: 'invalid_json', on: 'both' },
  { name: 'an empty body', body: '', status: 400, code: 'invalid_request', on: 'both' },
  { name: 'null', body: 'null', status: 400, code: 'invalid_request', on: 'both' },
  { name: 'a JSON array', body: '[1,2]', status: 400, code: 'invalid_request', on: 'both' },
  { name: 'a JSON string', body: '"hello"', status: 400, code: 'invalid_request', on: 'both' },
  { name: 'a JSON number', body: '42', status: 400, code: 'invalid_request', on: 'both' },
  { name: 'a JSON boolean', body: 'true', status: 400, code: 'invalid_request', on: 'both' },
  { name: 'trailing garbage after the object', body: `${user('x')}xyz`, status: 400, code: 'invalid_json', on: 'both' },
  { name: 'a byte-order mark', body: `\ufeff${user('x')}`, status: 400, code: 'invalid_json', on: 'both' },
  // Invalid UTF-8: refused, never replaced by U+FFFD and sent on
  { name: 'invalid UTF-8 bytes in a message', body: bytes('{"model":"gpt-5.4","messages":[{"role":"user","content":"a', [0xff, 0xfe], 'b"}]}'), status: 400, code: 'invalid_json', on: 'both' },
  { name: 'an overlong UTF-8 encoding in a key', body: bytes('{"model":"gpt-5.4","messages":[{"role":"user","content":"a"}],"', [0xc0, 0x80], '":1}'), status: 400, code: 'invalid_json', on: 'both' },
  { name: 'a UTF-8 sequence cut short', body: bytes('{"model":"gpt-5.4","messages":[{"role":"user","content":"', [0xe2, 0x82], '"}]}'), status: 400, code: 'invalid_json', on: 'both' },
  { name: 'a UTF-16 surrogate encoded as UTF-8', body: bytes('{"model":"gpt-5.4","messages":[{"role":"user","content":"', [0xed, 0xa0, 0x80], '"}]}'), status: 400, code: 'invalid_json', on: 'both' },
  // Deep nesting
  { name: '10,000 nested arrays in a message', body: `{"model":"gpt-5.4","messages":[{"role":"user","content":${nested('[', ']', 10_000)}}]}`, status: 400, code: 'invalid_request', on: 'both' },
  { name: '10,000 nested objects in an extra field', body: `{"model":"gpt-5.4","messages":[{"role":"user","content":"x"}],"metadata":${nested('{"a":', '}', 10_000)}}`, status: 400, code: 'invalid_request', on: 'both' },
  { name: '30,000 nested arrays as the messages', body: `{"model":"gpt-5.4","messages":${nested('[', ']', 30_000)}}`, status: 400, code: 'invalid_request', on: 'both' },
  { name: '10,000 nested arrays in a Responses input', path: RESPONSES, body: `{"model":"gpt-5.4","input":[${nested('[', ']', 10_000)}]}`, status: 400, code: 'invalid_request', on: 'both' },
  // The model
  { name: 'model missing', body: messages([{ role: 'user', content: 'x' }]).replace('"model":"gpt-5.4",', ''), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model a number', body: json({ model: 5, messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model null', body: json({ model: null, messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model an array', body: json({ model: ['gpt-5.4'], messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model an object', body: json({ model: { id: 'gpt-5.4' }, messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model empty', body: json({ model: '', messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model 50,000 characters long', body: json({ model: 'm'.repeat(50_000), messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model with CR LF (header injection)', body: json({ model: 'gpt-5.4\r\nx-injected: 1', messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'model with a NUL', body: json({ model: 'gpt\u00005.4', messages: [{ role: 'user', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'duplicate model keys, the last a number', body: '{"model":"gpt-5.4","model":5,"messages":[{"role":"user","content":"x"}]}', status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  // The messages
  { name: 'messages missing', body: json({ model: 'gpt-5.4' }), status: 400, code: 'invalid_request', param: 'messages', on: 'both' },
  { name: 'messages a string', body: messages('hi'), status: 400, code: 'invalid_request', param: 'messages', on: 'both' },
  { name: 'messages an object', body: messages({ role: 'user', content: 'x' }), status: 400, code: 'invalid_request', param: 'messages', on: 'both' },
  { name: 'messages empty', body: messages([]), status: 400, code: 'invalid_request', param: 'messages', on: 'both' },
  { name: 'a null message', body: messages([null]), status: 400, code: 'invalid_request', param: 'messages[0]', on: 'both' },
  { name: 'a number as a message', body: messages([1]), status: 400, code: 'invalid_request', param: 'messages[0]', on: 'both' },
  { name: 'a message without role', body: messages([{ content: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[0].role', on: 'both' },
  { name: 'a numeric role', body: messages([{ role: 7, content: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[0].role', on: 'both' },
  { name: 'stream a string', body: withUser({ stream: 'yes' }), status: 400, code: 'invalid_request', param: 'stream', on: 'both' },
  { name: 'Responses: model missing', path: RESPONSES, body: json({ input: 'x' }), status: 400, code: 'invalid_request', param: 'model', on: 'both' },
  { name: 'Responses: input a number', path: RESPONSES, body: json({ model: 'gpt-5.4', input: 5 }), status: 400, code: 'invalid_request', param: 'input', on: 'both' },
  { name: 'Responses: stream a string', path: RESPONSES, body: responses({ stream: 'yes' }), status: 400, code: 'invalid_request', param: 'stream', on: 'both' },
  // Bodies over the limit (64 kB here): 10 MB sent whole
  { name: 'a 10 MB message over server.body_limit_bytes', body: user('x'.repeat(10 * MB)), status: 413, code: 'request_too_large', on: 'both' },
  { name: 'a 10 MB Responses input over the limit', path: RESPONSES, body: json({ model: 'gpt-5.4', input: 'y'.repeat(10 * MB) }), status: 413, code: 'request_too_large', on: 'both' },
  // What the translator checks (OAuth): unknown roles, wrong types deeper down
  { name: 'an unknown role', body: messages([{ role: 'hacker', content: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[0].role', on: 'oauth' },
  { name: 'an empty role', body: messages([{ role: '', content: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[0].role', on: 'oauth' },
  { name: 'a 50,000-character role', body: messages([{ role: 'r'.repeat(50_000), content: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[0].role', on: 'oauth' },
  { name: 'content a number', body: user(5), status: 400, code: 'invalid_request', param: 'messages[0].content', on: 'oauth' },
  { name: 'content an object', body: user({ text: 'x' }), status: 400, code: 'invalid_request', param: 'messages[0].content', on: 'oauth' },
  { name: 'user content null', body: user(null), status: 400, code: 'invalid_request', param: 'messages[0].content', on: 'oauth' },
  { name: 'a content part without type', body: user([{ text: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[0].content[0].type', on: 'oauth' },
  { name: 'a content part whose text is a number', body: user([{ type: 'text', text: 5 }]), status: 400, code: 'invalid_request', param: 'messages[0].content[0].text', on: 'oauth' },
  { name: 'an unknown content part type', body: user([{ type: 'hologram', data: 'x' }]), status: 400, code: 'invalid_request', on: 'oauth' },
  { name: 'an image part without image_url', body: user([{ type: 'image_url' }]), status: 400, code: 'invalid_request', on: 'oauth' },
  { name: 'an image_url that is a number', body: user([{ type: 'image_url', image_url: 5 }]), status: 400, code: 'invalid_request', param: 'messages[0].content[0].image_url', on: 'oauth' },
  { name: 'tools a string', body: withUser({ tools: 'all' }), status: 400, code: 'invalid_request', param: 'tools', on: 'oauth' },
  { name: 'a tool that is a string', body: withUser({ tools: ['x'] }), status: 400, code: 'invalid_request', param: 'tools[0]', on: 'oauth' },
  { name: 'a tool name that is a number', body: withUser({ tools: [{ type: 'function', function: { name: 5 } }] }), status: 400, code: 'invalid_request', param: 'tools[0].function.name', on: 'oauth' },
  { name: 'tool_choice a number', body: withUser({ tool_choice: 5 }), status: 400, code: 'invalid_request', param: 'tool_choice', on: 'oauth' },
  { name: 'stream_options a string', body: withUser({ stream: true, stream_options: 'usage' }), status: 400, code: 'invalid_request', param: 'stream_options', on: 'oauth' },
  { name: 'n = 5', body: withUser({ n: 5 }), status: 400, code: 'unsupported_parameter', param: 'n', on: 'oauth' },
  { name: 'an unknown reasoning_effort', body: withUser({ reasoning_effort: 'maximal' }), status: 400, code: 'invalid_request', on: 'oauth' },
  { name: 'an unknown response_format', body: withUser({ response_format: { type: 'yaml' } }), status: 400, code: 'invalid_request', on: 'oauth' },
  { name: 'assistant tool_calls a string', body: messages([{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: 'x' }]), status: 400, code: 'invalid_request', param: 'messages[1].tool_calls', on: 'oauth' },
  { name: 'a tool call without function', body: messages([{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'a' }] }]), status: 400, code: 'invalid_request', param: 'messages[1].tool_calls[0].function', on: 'oauth' },
  { name: 'a tool result answering no call', body: messages([{ role: 'tool', tool_call_id: 'nope', content: 'x' }]), status: 400, code: 'invalid_request', on: 'oauth' },
  { name: 'Responses: an unknown role', path: RESPONSES, body: json({ model: 'gpt-5.4', input: [{ role: 'hacker', content: 'x' }] }), status: 400, code: 'invalid_request', param: 'input[0].role', on: 'oauth' },
  { name: 'Responses: a number as an input item', path: RESPONSES, body: json({ model: 'gpt-5.4', input: [5] }), status: 400, code: 'invalid_request', param: 'input[0]', on: 'oauth' },
  { name: 'Responses: instructions a number', path: RESPONSES, body: responses({ instructions: 5 }), status: 400, code: 'invalid_request', param: 'instructions', on: 'oauth' },
  { name: 'Responses: tools a string', path: RESPONSES, body: responses({ tools: 'all' }), status: 400, code: 'invalid_request', param: 'tools', on: 'oauth' },
  { name: 'Responses: previous_response_id', path: RESPONSES, body: responses({ previous_response_id: 'resp_1' }), status: 400, code: 'unsupported_parameter', on: 'oauth' },
  { name: 'Responses: a tool output answering no call', path: RESPONSES, body: json({ model: 'gpt-5.4', input: [{ type: 'function_call_output', call_id: 'c1', output: 'x' }] }), status: 400, code: 'invalid_request', on: 'oauth' },
];

/** A request written byte for byte on a socket (headers no client library would send). */
interface RawCase {
  name: string;
  request: (port: number) => string | Buffer;
  status: number;
  code: string;
}

const body = user('x');
const post = (headers: string, path = CHAT, text = body) => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n${headers}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`;
const adminPost = (path: string, headers = '') => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`;

const RAW_CASES: RawCase[] = [
  { name: 'a CR inside a header value (header injection)', request: () => post('X-Note: a\rX-Injected: b\r\n'), status: 400, code: 'invalid_request' },
  { name: 'a bare LF inside a header value', request: () => post('X-Note: a\nX-Injected: b\r\n'), status: 400, code: 'invalid_request' },
  { name: 'a NUL inside a header value', request: () => post('X-Note: a\u0000b\r\n'), status: 400, code: 'invalid_request' },
  { name: 'a space inside a header name', request: () => post('Bad Header: x\r\n'), status: 400, code: 'invalid_request' },
  { name: 'an obsolete folded header line', request: () => post('X-Note: a\r\n folded\r\n'), status: 400, code: 'invalid_request' },
  { name: 'CR LF smuggled into session_id', request: () => post('session_id: abc\rX-Injected: yes\r\n'), status: 400, code: 'invalid_request' },
  { name: '20 kB of headers', request: () => post(`X-Big: ${'a'.repeat(20_000)}\r\n`), status: 431, code: 'request_too_large' },
  { name: 'Content-Length and Transfer-Encoding together (smuggling)', request: () => `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400, code: 'invalid_request' },
  { name: 'two different Content-Lengths', request: () => `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, status: 400, code: 'invalid_request' },
  { name: 'a chunk size that is not hex', request: () => `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, status: 400, code: 'invalid_request' },
  { name: 'a method with a space', request: () => `PO ST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, status: 400, code: 'invalid_request' },
  { name: 'HTTP/9.9', request: () => `POST ${CHAT} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`, status: 400, code: 'invalid_request' },
  { name: 'a 10 MB Content-Length over the limit', request: () => `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${10 * MB}\r\n\r\n{"model":`, status: 413, code: 'request_too_large' },
  { name: 'a 10 MB chunked body over the limit', request: () => `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${`100000\r\n${'z'.repeat(0x100000)}\r\n`.repeat(10)}0\r\n\r\n`, status: 413, code: 'request_too_large' },
  { name: 'a Host that is not loopback (DNS rebinding)', request: () => post('').replace('Host: 127.0.0.1', 'Host: evil.example'), status: 403, code: 'forbidden_host' },
  { name: 'no Host at all', request: () => post('').replace('Host: 127.0.0.1\r\n', ''), status: 403, code: 'forbidden_host' },
  { name: 'a malformed percent-encoding in the path', request: () => get('/v1/%zz'), status: 400, code: 'invalid_request' },
  { name: 'an unknown route', request: () => get('/v1/engines'), status: 404, code: 'not_found' },
  { name: 'GET on the chat endpoint', request: () => get(CHAT), status: 404, code: 'not_found' },
  { name: 'admin: an encoded ../../etc as the credential id', request: () => get('/api/admin/credentials/..%2F..%2Fetc'), status: 404, code: 'not_found' },
  { name: 'admin: disable ../../etc/passwd', request: () => adminPost('/api/admin/credentials/..%2F..%2Fetc%2Fpasswd/disable'), status: 404, code: 'not_found' },
  { name: 'admin: delete ../../etc', request: () => `DELETE /api/admin/credentials/..%2F..%2Fetc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, status: 404, code: 'not_found' },
  { name: 'admin: refresh ..%2F..%2Fauth%2Fcodex%2Foauth-1', request: () => adminPost('/api/admin/credentials/..%2F..%2Fauth%2Fcodex%2Foauth-1/refresh'), status: 404, code: 'not_found' },
  { name: 'admin: a raw ../../ climb', request: () => get('/api/admin/../../etc/passwd'), status: 404, code: 'not_found' },
  { name: 'admin: __proto__ as the credential id', request: () => adminPost('/api/admin/credentials/__proto__/disable'), status: 404, code: 'not_found' },
  { name: 'admin: a 300-character credential id', request: () => adminPost(`/api/admin/credentials/${'a'.repeat(300)}/disable`), status: 414, code: 'invalid_request' },
  { name: 'admin: disable from another origin (CSRF)', request: () => adminPost('/api/admin/credentials/oauth-1/disable', 'Origin: http://evil.example\r\n'), status: 403, code: 'admin_forbidden' },
  { name: 'admin: disable with Sec-Fetch-Site cross-site', request: () => adminPost('/api/admin/credentials/oauth-1/disable', 'Sec-Fetch-Site: cross-site\r\n'), status: 403, code: 'admin_forbidden' },
  { name: 'page: an encoded ../../package.json', request: () => get('/ui/..%2F..%2Fpackage.json'), status: 404, code: 'not_found' },
  { name: 'page: ../config.yaml', request: () => get('/ui/../config.yaml'), status: 404, code: 'not_found' },
  { name: 'page: /ui/constructor (a prototype key)', request: () => get('/ui/constructor'), status: 404, code: 'not_found' },
  { name: 'page: /ui/__proto__', request: () => get('/ui/__proto__'), status: 404, code: 'not_found' },
];

async function send(daemon: TestDaemon, row: BodyCase): Promise<{ status: number; contentType: string; text: string }> {
  const response = await fetch(`${daemon.url}${row.path ?? CHAT}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: row.body });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

function expectError(answer: { status: number; contentType: string; text: string }, status: number, code: string): ReturnType<typeof expectOpenAIErrorBody> {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.contentType).toContain('application/json');
  expect(answer.text).not.toMatch(/<html|<!doctype/i);
  const error = expectOpenAIErrorBody(answer.text);
  expect(error.code).toBe(code);
  expect(error.type).toBe(status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : 'invalid_request_error');
  return error;
}

describe('malformed and hostile bodies', () => {
  const runs = BODY_CASES.flatMap((row) => (row.on === 'both' ? (['oauth', 'api'] as const) : (['oauth'] as const)).map((via) => ({ ...row, via })));

  it.each(runs)('$name ($via) → $status $code', async (row) => {
    const daemon = row.via === 'oauth' ? oauthDaemon : apiDaemon;
    const error = expectError(await send(daemon, row), row.status, row.code);
    if (row.param !== undefined) expect(error.param).toBe(row.param);
  });
});

describe('hostile bytes on a raw socket', () => {
  it.each(RAW_CASES)('$name → $status $code', async (row) => {
    const port = Number(new URL(oauthDaemon.url).port);
    const answer = parseRawAnswer(await rawRequest(port, row.request(port), 3_000));
    expectError({ status: answer.status, contentType: answer.headers['content-type'] ?? '', text: answer.body }, row.status, row.code);
  });
});

describe('after the table', () => {
  it('nothing reached an upstream, nothing was disabled, no internal error was logged, and both daemons serve', async () => {
    expect(codex.responsesCalls()).toHaveLength(0);
    expect(openai.calls).toHaveLength(0);
    const list = (await (await fetch(`${oauthDaemon.url}/api/admin/credentials`)).json()) as Array<{ id: string; disabled: boolean; state: string }>;
    expect(list).toEqual([expect.objectContaining({ id: 'oauth-1', disabled: false, state: 'active' })]);
    for (const daemon of [oauthDaemon, apiDaemon]) {
      expect(daemon.logs()).not.toContain('"level":50');
      expect(daemon.logs()).not.toMatch(/"status":5\d\d/);
      const answer = await fetch(`${daemon.url}${CHAT}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: user('still serving') });
      expect(answer.status).toBe(200);
    }
  });
});

describe('token_file paths outside auth_dir', () => {
  it('a relative path that climbs out is invalid with a clear reason; an absolute one elsewhere is allowed', async () => {
    const clock = new FakeClock();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-elsewhere-'));
    const absolute = path.join(elsewhere, 'login.json');
    fs.writeFileSync(absolute, oauthTokenFile(clock, { accountId: 'acct-abs' }).text, { mode: 0o600 });
    const home = makeTempHome({
      'config.yaml': [
        'auth_dir: ~/auth',
        'codex:',
        '  import_cli: false',
        `  chatgpt_base_url: ${codex.baseUrl}`,
        'credential_pool:',
        '  codex:',
        '    - { id: climbs, token_file: ../outside.json }',
        '    - { id: climbs-inside, token_file: codex/../../outside.json }',
        `    - { id: absolute, token_file: ${absolute} }`,
        '',
      ].join('\n'),
      'outside.json': oauthTokenFile(clock).text,
    });
    const daemon = await startTestDaemon({ home, clock });
    try {
      const list = (await (await fetch(`${daemon.url}/api/admin/credentials`)).json()) as Array<{ id: string; state: string; reason: string | null }>;
      const byId = Object.fromEntries(list.map((view) => [view.id, view]));
      for (const id of ['climbs', 'climbs-inside']) {
        expect(byId[id]?.state).toBe('invalid');
        expect(byId[id]?.reason).toContain('points outside auth_dir');
        expect(byId[id]?.reason).toContain('use an absolute path');
      }
      expect(byId.absolute?.state).toBe('active');
      const answer = await fetch(`${daemon.url}${CHAT}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: user('abs') });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-proxycast-credential')).toBe('absolute');
    } finally {
      await daemon.stop();
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
