import { z } from 'zod';
import { ProxyError } from '../errors.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../wire/chat.js';
import { responsesClientRequestSchema, type ResponsesClientRequest } from '../wire/responses.js';

/**
 * A model name. It is echoed in the x-proxycast-model header and the request log, so it must be one short line: a
 * 50 kB name overflowed the client's header limit, and CR/LF would be refused when the header is set.
 */
const modelName = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(256, 'must be at most 256 characters')
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters (CR, LF, NUL, ...)');

/** The fields every proxied endpoint reads before routing; the translators validate the rest. */
const chatEnvelope = z.looseObject({
  model: modelName,
  messages: z.array(z.looseObject({ role: z.string() }), 'must be an array of message objects').min(1, 'must hold at least one message'),
  stream: z.boolean().optional(),
});

const responsesEnvelope = z.looseObject({
  model: modelName,
  input: z.union([z.string(), z.array(z.unknown())]).optional(),
  stream: z.boolean().optional(),
});

function paramOf(pathParts: ReadonlyArray<PropertyKey>): string {
  return pathParts.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

type Issue = z.core.$ZodIssue;

/**
 * For a value no branch of a union accepts, the issue of the branch that got furthest into it ("input[0].role:
 * expected one of …" rather than "input: Invalid input"); when every branch failed on the type itself, the types.
 */
function mostSpecific(issue: Issue): { path: PropertyKey[]; text: string } {
  const describe = (one: Issue) => (one.code === 'invalid_type' ? `expected ${one.expected}` : one.message);
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path: issue.path, text: describe(issue) };
  const branches = issue.errors.flat().map((inner) => {
    const found = mostSpecific(inner);
    return { ...found, code: inner.code, path: [...issue.path, ...found.path] };
  });
  const deepest = Math.max(...branches.map((branch) => branch.path.length));
  const furthest = branches.filter((branch) => branch.path.length === deepest);
  if (deepest === issue.path.length && furthest.every((branch) => branch.code === 'invalid_type')) {
    return { path: issue.path, text: furthest.map((branch) => branch.text).join(' or ').replace(/ or expected /g, ' or ') };
  }
  return furthest[0]!;
}

function envelopeError(error: z.ZodError): ProxyError {
  const issue = error.issues[0];
  if (!issue) return ProxyError.invalidRequest('The request body is not valid.');
  const { path, text } = mostSpecific(issue);
  const param = paramOf(path) || null;
  return ProxyError.invalidRequest(`Invalid '${param}': ${text}.`, param);
}

/**
 * The deepest nesting of arrays and objects a request body may have. JSON.parse copes with any depth, but the
 * recursive steps after it (JSON.stringify for the upstream, validation) overflow the stack near 10,000 levels;
 * real requests (tool schemas included) stay far below this.
 */
export const MAX_BODY_DEPTH = 128;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * True when the JSON text nests arrays/objects more than `limit` levels deep: one pass over the characters,
 * skipping string contents (cheaper than walking the parsed value, and it runs on every request).
 */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1; // backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) depth -= 1;
  }
  return false;
}

/** True when the text holds more than `limit` '{' and '[' in all (native indexOf; the usual body has a few dozen). */
function openingsExceed(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) {
      count += 1;
      if (count > limit) return true;
    }
  }
  return false;
}

/**
 * A request body's bytes as JSON: strict UTF-8 (invalid bytes are refused, not replaced by U+FFFD and sent on),
 * at most MAX_BODY_DEPTH levels deep. An empty body is undefined (the route says what is missing).
 */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw ProxyError.invalidJson('the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw ProxyError.invalidJson((error as Error).message);
  }
  if (openingsExceed(text, MAX_BODY_DEPTH) && nestedDeeperThan(text, MAX_BODY_DEPTH)) throw ProxyError.invalidRequest(`The request body nests arrays or objects more than ${MAX_BODY_DEPTH} levels deep.`);
  return value;
}

/** The body must be a JSON object (not an array, string or null). */
export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw ProxyError.invalidRequest('The request body must be a JSON object.', null);
  }
  return body as Record<string, unknown>;
}

export type ChatEnvelope = z.infer<typeof chatEnvelope>;
export type ResponsesEnvelope = z.infer<typeof responsesEnvelope>;

function requireFields(body: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    if (body[field] === undefined || body[field] === null) throw ProxyError.invalidRequest(`Missing required parameter '${field}'.`, field);
  }
}

/** Validates the Chat Completions envelope; 400 with `param` naming the field. */
export function parseChatEnvelope(body: unknown): ChatEnvelope {
  const object = requireObjectBody(body);
  requireFields(object, ['model', 'messages']);
  const result = chatEnvelope.safeParse(object);
  if (!result.success) throw envelopeError(result.error);
  return result.data;
}

/** Validates the Responses envelope; 400 with `param` naming the field. */
export function parseResponsesEnvelope(body: unknown): ResponsesEnvelope {
  const object = requireObjectBody(body);
  requireFields(object, ['model']);
  const result = responsesEnvelope.safeParse(object);
  if (!result.success) throw envelopeError(result.error);
  return result.data;
}

/** Validates a whole Chat Completions request (what the translator needs); 400 with `param` naming the field. */
export function parseChatRequest(body: unknown): ChatCompletionRequest {
  const result = chatCompletionRequestSchema.safeParse(requireObjectBody(body));
  if (!result.success) throw envelopeError(result.error);
  return result.data;
}

/** Validates a whole Responses request; 400 with `param` naming the field. */
export function parseResponsesRequest(body: unknown): ResponsesClientRequest {
  const result = responsesClientRequestSchema.safeParse(requireObjectBody(body));
  if (!result.success) throw envelopeError(result.error);
  return result.data;
}
