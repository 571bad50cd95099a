/**
 * The answers of the benchmark's mock upstream, built once per shape and reused: a Responses event list in the
 * recorded format (test/fixtures/responses/*.jsonl, the Codex backend's order: created, in_progress,
 * output_item.added, content_part.added, N output_text.delta, output_text.done, content_part.done, output_item.done,
 * completed with usage), an OpenAI chat.completion body, and the chat chunk stream an API-key upstream sends.
 */

type Json = Record<string, unknown>;

/** Events of a Responses answer that are not text deltas (so an answer of `total` events has total - 8 deltas). */
export const FRAMING_EVENTS = 8;
/** The default answer size when the request does not ask for one. */
export const DEFAULT_EVENTS = 40;

// Words of a plausible coding answer; deltas are 1-3 words, as the backend's token-sized deltas are.
const WORDS = (
  'To fix the failing test, move the fixture setup into a beforeEach hook so that every case starts from a clean ' +
  'temporary directory, then assert on the parsed result instead of the raw string. Here is the change: ' +
  'const home = makeTempHome(); expect(parse(read(home))).toEqual(expected); '
).split(' ');

/** The text of delta number `index`, deterministic so direct and proxied answers are the same bytes. */
export function deltaText(index: number): string {
  const count = 1 + (index % 3);
  const words: string[] = [];
  for (let word = 0; word < count; word += 1) words.push(WORDS[(index * 3 + word) % WORDS.length] ?? 'x');
  return `${words.join(' ')} `;
}

/** A Responses event list of `total` events (at least FRAMING_EVENTS + 1) in the recorded fixture format. */
export function responsesEvents(total: number, options: { id?: string; model?: string; createdAt?: number } = {}): Json[] {
  const id = options.id ?? 'resp_bench_0001';
  const model = options.model ?? 'gpt-5.4';
  const createdAt = options.createdAt ?? 1767225600;
  const itemId = `msg_${id.slice(5)}`;
  const deltas = Math.max(1, total - FRAMING_EVENTS);
  const response = { id, object: 'response', created_at: createdAt, model, status: 'in_progress', output: [] };
  const events: Json[] = [
    { type: 'response.created', response },
    { type: 'response.in_progress', response },
    { type: 'response.output_item.added', output_index: 0, item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] } },
    { type: 'response.content_part.added', item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
  ];
  let text = '';
  for (let index = 0; index < deltas; index += 1) {
    const delta = deltaText(index);
    text += delta;
    events.push({ type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta });
  }
  const part = { type: 'output_text', text, annotations: [] };
  const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
  const usage = { input_tokens: 812, input_tokens_details: { cached_tokens: 512 }, output_tokens: deltas, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 812 + deltas };
  events.push(
    { type: 'response.output_text.done', item_id: itemId, output_index: 0, content_index: 0, text },
    { type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response: { ...response, status: 'completed', output: [item], usage } },
  );
  return events.map((event, sequence) => ({ ...event, sequence_number: sequence }));
}

/** One backend SSE frame: `event: <type>` then `data: <json>` (codex-protocol.md 6). */
export function responsesFrame(event: Json): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A non-stream chat.completion of about 120 tokens, as an OpenAI-compatible upstream answers. */
export function chatCompletionBody(model: string): string {
  let content = '';
  for (let index = 0; index < 60; index += 1) content += deltaText(index);
  return JSON.stringify({
    id: 'chatcmpl-bench0001',
    object: 'chat.completion',
    created: 1767225600,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: 812,
      completion_tokens: 120,
      total_tokens: 932,
      prompt_tokens_details: { cached_tokens: 512, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  });
}

/** The `data:` frames of a streamed chat completion with `total` chunks (role, deltas, finish, usage) and [DONE]. */
export function chatChunkFrames(model: string, total: number): string[] {
  const base = { id: 'chatcmpl-bench0002', object: 'chat.completion.chunk', created: 1767225600, model, system_fingerprint: 'fp_bench' };
  const frame = (value: Json) => `data: ${JSON.stringify(value)}\n\n`;
  const frames = [frame({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })];
  const deltas = Math.max(1, total - 3);
  for (let index = 0; index < deltas; index += 1) frames.push(frame({ ...base, choices: [{ index: 0, delta: { content: deltaText(index) }, finish_reason: null }] }));
  frames.push(frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
  frames.push(frame({ ...base, choices: [], usage: { prompt_tokens: 812, completion_tokens: deltas, total_tokens: 812 + deltas } }));
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** How the mock paces an answer. */
export interface Directive {
  /** Events (Responses) or chunks (chat) in the answer. */
  events: number;
  /** Pause between deltas in ms; 0 sends them without pauses. */
  gapMs: number;
  /**
   * When > 0 (and gap is 0): everything up to and including the first delta goes at once, the rest this many ms
   * later — the shape of a real answer, whose first token comes well before the rest, so time to first byte is
   * the proxy's work on the opening events and not on the whole answer.
   */
  splitMs: number;
}

/**
 * What a request asks the mock for, written into its last message as `[[bench events=N gap=MS split=MS]]` so it
 * survives the Chat → Responses translation.
 */
export function benchDirective(events: number, gapMs = 0, splitMs = 0): string {
  return `[[bench events=${events} gap=${gapMs} split=${splitMs}]]`;
}

/** Reads the directive from a raw request body (defaults when absent). */
export function readDirective(rawBody: string): Directive {
  const match = /\[\[bench events=(\d+) gap=(\d+) split=(\d+)\]\]/.exec(rawBody);
  if (!match) return { events: DEFAULT_EVENTS, gapMs: 0, splitMs: 0 };
  const clamp = (value: string | undefined, max: number) => Math.min(max, Number(value ?? 0));
  return { events: Math.max(FRAMING_EVENTS + 1, clamp(match[1], 100_000)), gapMs: clamp(match[2], 10_000), splitMs: clamp(match[3], 10_000) };
}
