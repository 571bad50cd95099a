/**
 * What the loopback Codex mock answers: the scenarios chosen by model name, the SSE event lists they stream, the
 * backend's request validation (codex-protocol.md 5.4), the catalog, and the quota headers and /wham/usage body.
 * Pure builders; the server in mock-codex.ts sends them.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Json = Record<string, unknown>;

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

export const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

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

export function scenarioOf(model: string, fixtureModels: Record<string, string>): Scenario {
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
  constructor(model: string, id: string, createdAt: number) {
    this.response = { id, object: 'response', created_at: createdAt, model, status: 'in_progress', output: [] };
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

export type Answer = { kind: 'sse'; events: Json[]; cut?: boolean } | { kind: 'json'; status: number; body: Json };

/** What shapes one answer besides the scenario: the mock's clock and the per-account overrides. */
export interface AnswerOptions {
  fixtureName?: string | undefined;
  /** Unix seconds, the mock's "now". */
  nowSeconds: number;
  /** usage-limit: seconds until the reset (default 3600). */
  resetsInSeconds?: number | undefined;
  /** fail-before: the error of the response.failed event. */
  failure?: { code: string; message: string } | undefined;
}

/** The answer of one POST /responses for a scenario. */
export function answerFor(scenario: Scenario, body: Json, options: AnswerOptions): Answer {
  const model = String(body.model);
  const stream = new StreamBuilder(model, `resp_mock_${Math.random().toString(36).slice(2, 10)}`, options.nowSeconds);
  const echo = echoText(body);
  const failed = (code: string, message: string) => stream.end('response.failed', { error: { code, message } });
  const answeredTool = echo.startsWith('tool result: ');
  switch (scenario) {
    case 'fixture': return { kind: 'sse', events: readResponsesFixture(options.fixtureName ?? '') };
    case 'usage-limit': {
      const resetsInSeconds = options.resetsInSeconds ?? 3600;
      const error = { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_at: options.nowSeconds + resetsInSeconds, eligible_promo: null, resets_in_seconds: resetsInSeconds };
      return { kind: 'json', status: 429, body: { error } };
    }
    case 'error-500': return { kind: 'json', status: 500, body: { error: { message: 'An error occurred while processing your request.', type: 'server_error', code: null } } };
    case 'not-supported': return { kind: 'json', status: 400, body: { detail: `The '${model}' model is not supported when using Codex with a ChatGPT account.` } };
    case 'fail-before': return { kind: 'sse', events: failed(options.failure?.code ?? 'server_is_overloaded', options.failure?.message ?? 'Our servers are currently overloaded. Please try again later.') };
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

export function catalogEntry(slug: string, priority: number): Json {
  const efforts = slug.startsWith('gpt-5.4-mini') ? ['low', 'medium', 'high'] : ['low', 'medium', 'high', 'xhigh'];
  return {
    slug, display_name: slug, description: `Mock ${slug}`, default_reasoning_level: 'medium',
    supported_reasoning_levels: efforts.map((effort) => ({ effort, description: `${effort} effort` })),
    visibility: slug.includes('not-supported') ? 'hide' : 'list', supported_in_api: true, priority,
    service_tiers: slug === 'gpt-5.5' ? [{ id: 'priority', name: 'Fast' }] : [], context_window: 272000,
    minimal_client_version: '0.1.0', available_in_plans: ['free', 'plus', 'pro'],
  };
}

export function quotaHeaders(quota: MockQuota, nowSeconds: number): Record<string, string> {
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

export function usageBody(quota: MockQuota, nowSeconds: number): Json {
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
