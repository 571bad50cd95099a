/**
 * A real loopback HTTP server that plays the ChatGPT Codex backend (codex-protocol.md 5-7). It enforces the
 * backend's rejection rules (5.4) with its `{"detail":…}` messages, answers by model name (TensorZero dummy style,
 * see SCENARIOS), sends `event:`/`data:` SSE frames with the x-codex-* quota headers, omits Content-Type on some
 * answers as the real backend does, and records every call (and whether the client hung up early).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;

/** One request the mock received. */
export interface RecordedCall {
  method: string;
  /** Path with query, e.g. /backend-api/codex/responses. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body: unknown;
  /** The status the mock answered. */
  status: number;
  /** The scenario chosen from the model name (POST /responses only). */
  scenario?: Scenario;
  /** True when the client closed the connection before the mock had finished its answer. */
  closedEarly: boolean;
}

/** The quota the x-codex-* headers and /wham/usage report. */
export interface MockQuota {
  primaryUsedPercent: number;
  primaryWindowMinutes: number;
  /** Unix seconds. */
  primaryResetAt: number;
  secondaryUsedPercent: number;
  secondaryWindowMinutes: number;
  secondaryResetAt: number;
  planType: string;
}

/** Options of startMockCodex; all optional. */
export interface MockCodexOptions {
  /** When non-empty, any other bearer token gets 401 token_expired. Default: every token is accepted. */
  acceptedTokens?: Iterable<string>;
  /** When SSE answers carry Content-Type: text/event-stream. Default 'alternate': the 1st, 3rd, … omit it. */
  contentType?: 'always' | 'never' | 'alternate';
  /** Pause between events for models containing `slow` (ms, default 100). */
  slowDelayMs?: number;
  /** More slugs for the catalog; their scenario is still chosen by name. */
  extraModels?: string[];
  /** Slugs that replay test/fixtures/responses/<name>.jsonl verbatim, e.g. { 'mock-fixture-text': 'text.1' }. */
  fixtureModels?: Record<string, string>;
  quota?: Partial<MockQuota>;
}

/** A running mock. */
export interface MockCodex {
  /** e.g. http://127.0.0.1:PORT/backend-api/codex (POST /responses, GET /models live under it). */
  baseUrl: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  calls: RecordedCall[];
  /** Mutable: add or delete tokens to simulate refresh and revocation. */
  acceptedTokens: Set<string>;
  /** How many answers the client abandoned before they were complete. */
  readonly closedEarly: number;
  /** The calls to POST /responses only. */
  responsesCalls(): RecordedCall[];
  setQuotaHeaders(quota: Partial<MockQuota>): void;
  close(): Promise<void>;
}

/** Scenario keywords in the order they are matched against the model name; anything else is `text`. */
export const SCENARIOS = [
  'usage-limit', 'error-500', 'not-supported', 'fail-before', 'fail-after', 'cut-after', 'rate-limit', 'error-event',
  'parallel-tools', 'tool', 'reasoning', 'incomplete', 'content-filter',
] as const;
/** The scenario a call was answered with. */
export type Scenario = (typeof SCENARIOS)[number] | 'text' | 'fixture';

/** The catalog slugs: real-looking ones plus one `mock-<scenario>` per scenario and `mock-slow`. */
export const MOCK_MODELS = ['gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5', 'mock-slow', ...SCENARIOS.map((name) => `mock-${name}`)];

/** The text the default scenario answers: "echo: " and the last user message's text. */
export const ECHO_PREFIX = 'echo: ';
/** The calls the tool scenarios make (the name is the request's first function tool when it has one). */
export const MOCK_TOOL_CALLS = [
  { callId: 'call_mock_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { callId: 'call_mock_2', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
];

const ALLOWED_KEYS = new Set([
  'model', 'instructions', 'input', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'store', 'stream',
  'include', 'prompt_cache_key', 'text', 'service_tier', 'client_metadata',
]);
const CONTENT_TYPES = ['input_text', 'input_image', 'output_text', 'refusal', 'input_file', 'summary_text'];
const fixturesDir = fileURLToPath(new URL('../fixtures/responses/', import.meta.url));

/** The events of test/fixtures/responses/<name>.jsonl (one JSON event per line). */
export function readResponsesFixture(name: string): Json[] {
  const text = fs.readFileSync(`${fixturesDir}${name}.jsonl`, 'utf8');
  return text.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Json);
}

/** Events as the backend frames them: `event: <type>\ndata: <json>\n\n` (line ending configurable for tests). */
export function encodeSse(events: Json[], lineEnding = '\n'): string {
  return events.map((event) => `event: ${String(event.type)}${lineEnding}data: ${JSON.stringify(event)}${lineEnding}${lineEnding}`).join('');
}

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function validateItems(input: unknown[]): string | undefined {
  const calls = new Set<string>();
  const outputs = new Set<string>();
  for (const [index, item] of input.entries()) {
    if (!isRecord(item)) return `Invalid type for 'input[${index}]': expected an object.`;
    if (item.role === 'system') return 'System messages are not allowed';
    if (Array.isArray(item.content)) {
      const bad = item.content.find((part) => !isRecord(part) || !CONTENT_TYPES.includes(String(part.type)));
      if (bad !== undefined) return `Invalid value: '${String(isRecord(bad) ? bad.type : bad)}'. Supported values are: ${CONTENT_TYPES.map((t) => `'${t}'`).join(', ')}.`;
    }
    if (item.type === 'function_call' || item.type === 'function_call_output') {
      if (typeof item.call_id !== 'string' || item.call_id === '') return `Missing required parameter: 'input[${index}].call_id'.`;
      if (item.type === 'function_call') calls.add(item.call_id);
      else if (!calls.has(item.call_id)) return `No tool call found for function call output with call_id ${item.call_id}.`;
      else outputs.add(item.call_id);
    }
  }
  const unanswered = [...calls].find((callId) => !outputs.has(callId));
  return unanswered ? `No tool output found for function call ${unanswered}.` : undefined;
}

/** The backend's 400 message for a body it refuses (codex-protocol.md 5.4), or undefined when it is acceptable. */
export function rejectionOf(body: unknown): string | undefined {
  if (!isRecord(body)) return 'Invalid JSON body';
  if (body.stream !== true) return 'Stream must be set to true';
  if (body.store !== false) return 'Store must be set to false';
  if (!('instructions' in body)) return 'Instructions are required';
  if (typeof body.instructions !== 'string') return 'Instructions are not valid';
  if (!Array.isArray(body.input)) return 'Input must be a list';
  const unsupported = Object.keys(body).find((key) => !ALLOWED_KEYS.has(key) || (key === 'service_tier' && body[key] !== 'priority'));
  if (unsupported) return `Unsupported parameter: ${unsupported}`;
  if (typeof body.model !== 'string' || body.model === '') return "Missing required parameter: 'model'.";
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const nameless = tools.findIndex((tool) => isRecord(tool) && tool.type === 'function' && typeof tool.name !== 'string');
  if (nameless !== -1) return `Missing required parameter: 'tools[${nameless}].name'.`;
  return validateItems(body.input);
}

function scenarioOf(model: string, fixtureModels: Record<string, string>): Scenario {
  if (fixtureModels[model]) return 'fixture';
  return SCENARIOS.find((name) => model.includes(name)) ?? 'text';
}

function partText(part: unknown): string {
  return isRecord(part) && typeof part.text === 'string' ? part.text : '';
}

/** What the echoing scenarios say: the last user message, or the last tool result when the input ends with one. */
function echoText(body: Json): string {
  const input = (Array.isArray(body.input) ? body.input : []).filter(isRecord);
  const last = input.at(-1);
  if (last?.type === 'function_call_output') return `tool result: ${typeof last.output === 'string' ? last.output : JSON.stringify(last.output)}`;
  const user = input.filter((item) => item.role === 'user').at(-1);
  const parts = Array.isArray(user?.content) ? user.content : [];
  const images = parts.filter((part) => isRecord(part) && part.type === 'input_image').length;
  return `${ECHO_PREFIX}${parts.map(partText).join('')}${images > 0 ? ` [${images} image${images > 1 ? 's' : ''}]` : ''}`;
}

function toolCalls(body: Json, count: number): typeof MOCK_TOOL_CALLS {
  const names = (Array.isArray(body.tools) ? body.tools : []).filter(isRecord).map((tool) => tool.name).filter((name): name is string => typeof name === 'string');
  return MOCK_TOOL_CALLS.slice(0, count).map((call, index) => ({ ...call, name: names[index] ?? names[0] ?? call.name }));
}

/** Builds the event list of one answer; `cut` means the mock destroys the socket after these events. */
class StreamBuilder {
  readonly events: Json[] = [];
  private readonly response: Json;
  constructor(model: string, id: string) {
    this.response = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] };
    this.add({ type: 'response.created', response: this.response }).add({ type: 'response.in_progress', response: this.response });
  }
  add(event: Json): this {
    this.events.push({ ...event, sequence_number: this.events.length });
    return this;
  }
  message(text: string, outputIndex: number, complete = true): this {
    const id = `msg_mock_${outputIndex}`;
    this.add({ type: 'response.output_item.added', output_index: outputIndex, item: { id, type: 'message', role: 'assistant', content: [] } });
    for (const delta of text.match(/\S+\s*|\s+/g) ?? []) this.add({ type: 'response.output_text.delta', item_id: id, output_index: outputIndex, content_index: 0, delta });
    if (!complete) return this;
    this.add({ type: 'response.output_text.done', item_id: id, output_index: outputIndex, content_index: 0, text });
    return this.add({ type: 'response.output_item.done', output_index: outputIndex, item: { id, type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] } });
  }
  toolCalls(calls: typeof MOCK_TOOL_CALLS): this {
    const item = (call: (typeof calls)[number], index: number, args: string) => ({ id: `fc_mock_${index}`, type: 'function_call', call_id: call.callId, name: call.name, arguments: args });
    calls.forEach((call, index) => this.add({ type: 'response.output_item.added', output_index: index, item: item(call, index, '') }));
    // Halves of every call's arguments, interleaved: a, b, a, b (the proxy must keep them apart).
    for (const half of [0, 1]) {
      calls.forEach((call, index) => {
        const cut = Math.floor(call.arguments.length / 2);
        const delta = half === 0 ? call.arguments.slice(0, cut) : call.arguments.slice(cut);
        this.add({ type: 'response.function_call_arguments.delta', item_id: `fc_mock_${index}`, output_index: index, delta });
      });
    }
    calls.forEach((call, index) => this.add({ type: 'response.output_item.done', output_index: index, item: item(call, index, call.arguments) }));
    return this;
  }
  reasoning(): this {
    const id = 'rs_mock_0';
    this.add({ type: 'response.output_item.added', output_index: 0, item: { id, type: 'reasoning', summary: [] } });
    ['**Thinking** about it', '**Answering** now'].forEach((delta, summaryIndex) => {
      this.add({ type: 'response.reasoning_summary_part.added', item_id: id, output_index: 0, summary_index: summaryIndex, part: { type: 'summary_text', text: '' } });
      this.add({ type: 'response.reasoning_summary_text.delta', item_id: id, output_index: 0, summary_index: summaryIndex, delta });
    });
    return this.add({ type: 'response.output_item.done', output_index: 0, item: { id, type: 'reasoning', summary: [], encrypted_content: 'gAAAAmockEncrypted' } });
  }
  end(type: 'response.completed' | 'response.incomplete' | 'response.failed', extra: Json = {}, reasoningTokens = 0): Json[] {
    const status = type.slice('response.'.length);
    const outputTokens = this.events.length;
    const usage = { input_tokens: 21, input_tokens_details: { cached_tokens: 0 }, output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: reasoningTokens }, total_tokens: 21 + outputTokens };
    // `output` stays empty, as the real backend often sends it (codex-protocol.md 6).
    this.add({ type, response: { ...this.response, status, ...(type === 'response.failed' ? {} : { usage }), ...extra } });
    return this.events;
  }
}

type Answer = { kind: 'sse'; events: Json[]; cut?: boolean } | { kind: 'json'; status: number; body: Json };

function answerFor(scenario: Scenario, body: Json, fixtureName: string | undefined): Answer {
  const model = String(body.model);
  const stream = new StreamBuilder(model, `resp_mock_${Math.random().toString(36).slice(2, 10)}`);
  const echo = echoText(body);
  const failed = (code: string, message: string) => stream.end('response.failed', { error: { code, message } });
  const answeredTool = echo.startsWith('tool result: ');
  switch (scenario) {
    case 'fixture': return { kind: 'sse', events: readResponsesFixture(fixtureName ?? '') };
    case 'usage-limit': {
      const resetsInSeconds = 3600;
      const error = { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_at: Math.floor(Date.now() / 1000) + resetsInSeconds, eligible_promo: null, resets_in_seconds: resetsInSeconds };
      return { kind: 'json', status: 429, body: { error } };
    }
    case 'error-500': return { kind: 'json', status: 500, body: { error: { message: 'An error occurred while processing your request.', type: 'server_error', code: null } } };
    case 'not-supported': return { kind: 'json', status: 400, body: { detail: `The '${model}' model is not supported when using Codex with a ChatGPT account.` } };
    case 'fail-before': return { kind: 'sse', events: failed('server_is_overloaded', 'Our servers are currently overloaded. Please try again later.') };
    case 'rate-limit': return { kind: 'sse', events: failed('rate_limit_exceeded', `Rate limit reached for ${model}. Please try again in 2.5s.`) };
    case 'error-event': return { kind: 'sse', events: stream.add({ type: 'error', error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'Your input exceeds the context window of this model.', param: 'input' } }).events };
    case 'fail-after': return { kind: 'sse', events: stream.message(echo, 0, false).end('response.failed', { error: { code: 'server_error', message: 'The server had an error while processing your request.' } }) };
    case 'cut-after': return { kind: 'sse', events: stream.message(echo, 0, false).events, cut: true };
    case 'parallel-tools': return { kind: 'sse', events: (answeredTool ? stream.message(echo, 0) : stream.toolCalls(toolCalls(body, 2))).end('response.completed') };
    case 'tool': return { kind: 'sse', events: (answeredTool ? stream.message(echo, 0) : stream.toolCalls(toolCalls(body, 1))).end('response.completed') };
    case 'reasoning': return { kind: 'sse', events: stream.reasoning().message(echo, 1).end('response.completed', {}, 64) };
    case 'incomplete': return { kind: 'sse', events: stream.message(echo, 0, false).end('response.incomplete', { incomplete_details: { reason: 'max_output_tokens' } }) };
    case 'content-filter': return { kind: 'sse', events: stream.message(echo, 0, false).end('response.incomplete', { incomplete_details: { reason: 'content_filter' } }) };
    case 'text': return { kind: 'sse', events: stream.message(echo, 0).end('response.completed') };
  }
}

function catalogEntry(slug: string, priority: number): Json {
  const efforts = slug.startsWith('gpt-5.4-mini') ? ['low', 'medium', 'high'] : ['low', 'medium', 'high', 'xhigh'];
  return {
    slug, display_name: slug, description: `Mock ${slug}`, default_reasoning_level: 'medium',
    supported_reasoning_levels: efforts.map((effort) => ({ effort, description: `${effort} effort` })),
    visibility: slug.includes('not-supported') ? 'hide' : 'list', supported_in_api: true, priority,
    service_tiers: slug === 'gpt-5.5' ? [{ id: 'priority', name: 'Fast' }] : [], context_window: 272000,
    minimal_client_version: '0.1.0', available_in_plans: ['free', 'plus', 'pro'],
  };
}

function quotaHeaders(quota: MockQuota, nowSeconds: number): Record<string, string> {
  const headers: Record<string, string> = { 'x-codex-plan-type': quota.planType };
  for (const [window, used, minutes, resetAt] of [
    ['primary', quota.primaryUsedPercent, quota.primaryWindowMinutes, quota.primaryResetAt],
    ['secondary', quota.secondaryUsedPercent, quota.secondaryWindowMinutes, quota.secondaryResetAt],
  ] as const) {
    headers[`x-codex-${window}-used-percent`] = String(used);
    headers[`x-codex-${window}-window-minutes`] = String(minutes);
    headers[`x-codex-${window}-reset-at`] = String(resetAt);
    headers[`x-codex-${window}-reset-after-seconds`] = String(Math.max(0, resetAt - nowSeconds));
  }
  return headers;
}

function usageBody(quota: MockQuota, nowSeconds: number): Json {
  const window = (used: number, minutes: number, resetAt: number) => ({ used_percent: used, limit_window_seconds: minutes * 60, reset_after_seconds: Math.max(0, resetAt - nowSeconds), reset_at: resetAt });
  return {
    plan_type: quota.planType,
    rate_limit: {
      allowed: quota.primaryUsedPercent < 100, limit_reached: quota.primaryUsedPercent >= 100,
      primary_window: window(quota.primaryUsedPercent, quota.primaryWindowMinutes, quota.primaryResetAt),
      secondary_window: window(quota.secondaryUsedPercent, quota.secondaryWindowMinutes, quota.secondaryResetAt),
    },
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 401 without a bearer token or with one not accepted, 400 without ChatGPT-Account-ID. */
function authFailure(headers: Record<string, string>, acceptedTokens: Set<string>): { status: number; body: Json } | undefined {
  const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
  if (!bearer) return { status: 401, body: { detail: 'Missing Authorization header: send "Authorization: Bearer <access token>".' } };
  if (acceptedTokens.size > 0 && !acceptedTokens.has(bearer)) {
    const error = { message: 'Provided authentication token is expired. Please try signing in again.', code: 'token_expired' };
    return { status: 401, body: { error, status: 401 } };
  }
  return headers['chatgpt-account-id'] ? undefined : { status: 400, body: { detail: 'Missing ChatGPT-Account-ID header' } };
}

/** Writes the frames (pausing between them), stops when the client leaves, and resets the socket for `cut` answers. */
async function writeSse(res: http.ServerResponse, reply: Extract<Answer, { kind: 'sse' }>, pauseMs: number): Promise<void> {
  let clientGone = false;
  res.on('close', () => (clientGone = true));
  for (const event of reply.events) {
    if (clientGone) return;
    res.write(encodeSse([event]));
    if (pauseMs > 0) await delay(pauseMs);
  }
  if (!reply.cut) {
    res.end();
    return;
  }
  (res as http.ServerResponse & { cutByMock?: boolean }).cutByMock = true;
  await delay(20); // let the written frames leave before the reset
  res.socket?.destroy();
}

/** Starts the mock on 127.0.0.1, port 0. */
export async function startMockCodex(options: MockCodexOptions = {}): Promise<MockCodex> {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const start = nowSeconds();
  let quota: MockQuota = {
    primaryUsedPercent: 12.5, primaryWindowMinutes: 300, primaryResetAt: start + 3600,
    secondaryUsedPercent: 40, secondaryWindowMinutes: 10080, secondaryResetAt: start + 3 * 86400, planType: 'plus',
    ...options.quota,
  };
  const fixtureModels = options.fixtureModels ?? {};
  const catalog = [...MOCK_MODELS, ...(options.extraModels ?? []), ...Object.keys(fixtureModels)];
  const calls: RecordedCall[] = [];
  const acceptedTokens = new Set(options.acceptedTokens ?? []);
  let sseAnswers = 0;
  let requestCount = 0;

  async function answer(call: RecordedCall, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    requestCount += 1;
    const headers = { ...quotaHeaders(quota, nowSeconds()), 'x-oai-request-id': `req_mock_${requestCount}` };
    const json = (status: number, body: Json) => {
      call.status = status;
      res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://mock');
    const refused = authFailure(call.headers, acceptedTokens);
    if (refused) return json(refused.status, refused.body);
    if (req.method === 'GET' && url.pathname === '/backend-api/codex/models') {
      res.setHeader('etag', 'W/"mock-models-1"');
      return json(200, { models: catalog.map((slug, index) => catalogEntry(slug, index)) });
    }
    if (req.method === 'GET' && url.pathname === '/backend-api/wham/usage') return json(200, usageBody(quota, nowSeconds()));
    if (req.method !== 'POST' || url.pathname !== '/backend-api/codex/responses') return json(404, { detail: 'Not Found' });
    const rejection = rejectionOf(call.body);
    if (rejection) return json(400, { detail: rejection });
    const body = call.body as Json;
    const model = String(body.model);
    if (!catalog.includes(model)) return json(400, { detail: `The '${model}' model is not supported when using Codex with a ChatGPT account.` });
    call.scenario = scenarioOf(model, fixtureModels);
    const reply = answerFor(call.scenario, body, fixtureModels[model]);
    if (reply.kind === 'json') {
      if (reply.status === 429) Object.assign(headers, quotaHeaders({ ...quota, primaryUsedPercent: 100 }, nowSeconds()), { 'x-codex-active-limit': 'codex' });
      return json(reply.status, reply.body);
    }
    sseAnswers += 1;
    const omitType = options.contentType === 'never' || ((options.contentType ?? 'alternate') === 'alternate' && sseAnswers % 2 === 1);
    call.status = 200;
    res.writeHead(200, { ...headers, ...(omitType ? {} : { 'content-type': 'text/event-stream' }), 'cache-control': 'no-cache' });
    await writeSse(res, reply, model.includes('slow') ? (options.slowDelayMs ?? 100) : 0);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? (JSON.parse(raw) as unknown) : undefined;
      } catch {
        body = undefined;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
      const call: RecordedCall = { method: req.method ?? '', path: req.url ?? '', headers, body, status: 0, closedEarly: false };
      calls.push(call);
      res.on('close', () => {
        if (!res.writableFinished && !(res as http.ServerResponse & { cutByMock?: boolean }).cutByMock) call.closedEarly = true;
      });
      answer(call, req, res).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}/backend-api/codex`,
    origin,
    calls,
    acceptedTokens,
    get closedEarly() {
      return calls.filter((call) => call.closedEarly).length;
    },
    responsesCalls: () => calls.filter((call) => call.method === 'POST' && call.path.startsWith('/backend-api/codex/responses')),
    setQuotaHeaders(update) {
      quota = { ...quota, ...update };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
