/**
 * A client's own Responses request → the body the ChatGPT Codex backend accepts (codex-protocol.md 5.4), as a pure
 * function. The client already speaks the Responses API, so items pass through; only what the backend refuses is
 * changed: string input, system/developer items, missing instructions, store/stream, unsupported parameters,
 * unpaired tool calls. Like the Chat translator it writes a whitelist of keys and reports what it dropped.
 */
import { ProxyError } from '../errors.js';
import {
  isReasoningEffort,
  REASONING_EFFORTS,
  type ResponsesClientRequest,
  type ResponsesInputItem,
  type ResponsesRequestBody,
  type ResponsesTool,
} from '../wire/responses.js';
import { deriveConversationKey, REJECTED_PARAMETERS, splitEffortSuffix, type TranslatedRequest } from './codex-request-rules.js';
import { checkToolPairing, insertMissingToolOutputs, MISSING_TOOL_RESULT_TEXT } from './tool-pairing.js';

const HANDLED_KEYS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text', 'include',
  'prompt_cache_key', 'service_tier', 'stream', 'store', 'previous_response_id',
]);
const INSTRUCTION_ROLES = new Set(['system', 'developer']);

type ClientItem = Extract<ResponsesClientRequest['input'], unknown[]>[number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldOf(item: ResponsesInputItem, key: string): unknown {
  return (item as Record<string, unknown>)[key];
}

function itemText(item: ClientItem, index: number): string {
  const content = item.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown, partIndex) => {
      if (isRecord(part) && typeof part.text === 'string') return part.text;
      throw ProxyError.invalidRequest('System and developer input items may hold only text parts.', `input[${index}].content[${partIndex}]`);
    })
    .join('');
}

function isMessageItem(item: ClientItem): boolean {
  return (item.type === undefined || item.type === 'message') && typeof item.role === 'string';
}

/** A message item with string content gets the content-part list the backend expects. */
function normaliseMessage(item: ClientItem): ResponsesInputItem {
  const partType = item.role === 'assistant' ? 'output_text' : 'input_text';
  const content = typeof item.content === 'string' ? [{ type: partType, text: item.content }] : item.content;
  return { ...item, type: 'message', content };
}

/** Splits input into instruction texts (system/developer items, 5.4 "System messages are not allowed") and items. */
function splitInput(input: ResponsesClientRequest['input']): { folded: string[]; items: ResponsesInputItem[] } {
  if (typeof input === 'string') return { folded: [], items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }] };
  const folded: string[] = [];
  const items: ResponsesInputItem[] = [];
  input.forEach((item, index) => {
    if (item.type === 'item_reference') {
      const why = 'item_reference cannot be resolved: the ChatGPT Codex backend stores nothing (store is false). Send the items themselves.';
      throw ProxyError.invalidRequest(why, `input[${index}].type`);
    }
    if (isMessageItem(item) && INSTRUCTION_ROLES.has(String(item.role))) folded.push(itemText(item, index));
    else if (isMessageItem(item)) items.push(normaliseMessage(item));
    else items.push({ ...item, type: String(item.type) });
  });
  return { folded, items };
}

/** Chat-style nested tools (`{type, function:{…}}`) are flattened; every other tool passes through. */
function normaliseTools(tools: ResponsesClientRequest['tools']): ResponsesTool[] {
  return (tools ?? []).map((tool) => {
    if (tool.type !== 'function' || !isRecord(tool.function)) return tool;
    const { function: definition, ...rest } = tool;
    return { ...rest, ...definition, type: 'function' };
  });
}

function normaliseToolChoice(choice: ResponsesClientRequest['tool_choice']): ResponsesRequestBody['tool_choice'] {
  if (choice === null || choice === undefined || typeof choice === 'object') return choice ?? undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  throw ProxyError.invalidRequest(`tool_choice '${choice}' is not one of auto, none, required.`, 'tool_choice');
}

function normaliseReasoning(request: ResponsesClientRequest, upstreamModel: string): ResponsesRequestBody['reasoning'] {
  const suffixEffort = upstreamModel !== request.model ? splitEffortSuffix(request.model).effort : undefined;
  const requested = request.reasoning?.effort ?? suffixEffort;
  if (requested && !isReasoningEffort(requested)) {
    throw ProxyError.invalidRequest(`Reasoning effort '${requested}' is not one of ${REASONING_EFFORTS.join(', ')}.`, 'reasoning.effort');
  }
  const effort = isReasoningEffort(requested) ? requested : undefined;
  const summary = request.reasoning?.summary;
  const reasoning = { ...(effort ? { effort } : {}), ...(summary && summary !== 'none' ? { summary } : {}) };
  return Object.keys(reasoning).length > 0 ? reasoning : undefined;
}

function normaliseText(text: ResponsesClientRequest['text']): ResponsesRequestBody['text'] {
  if (!text) return undefined;
  const format = isRecord(text.format) && typeof text.format.type === 'string' ? { ...text.format, type: text.format.type } : undefined;
  const verbosity = typeof text.verbosity === 'string' ? text.verbosity : undefined;
  return format || verbosity ? { ...(format ? { format } : {}), ...(verbosity ? { verbosity } : {}) } : undefined;
}

function collectWarnings(request: ResponsesClientRequest): string[] {
  const rejected = new Set<string>(REJECTED_PARAMETERS);
  const warnings = Object.entries(request).flatMap(([key, value]) => {
    if (HANDLED_KEYS.has(key) || value === null || value === undefined) return [];
    return [rejected.has(key) ? `dropped '${key}': the ChatGPT Codex backend rejects it` : `dropped unknown parameter '${key}'`];
  });
  if (request.store === true) warnings.push("store forced to false: the ChatGPT Codex backend stores nothing");
  if (request.service_tier && request.service_tier !== 'priority') {
    warnings.push(`dropped service_tier '${request.service_tier}': only 'priority' is sent`);
  }
  const include = Array.isArray(request.include) ? request.include.filter((value) => value !== 'reasoning.encrypted_content') : [];
  if (include.length > 0) warnings.push(`dropped include values ${JSON.stringify(include)}: only reasoning.encrypted_content is sent`);
  return warnings;
}

function firstUserText(items: ResponsesInputItem[]): string {
  const first = items.find((item) => item.type === 'message' && fieldOf(item, 'role') === 'user');
  const content = first ? fieldOf(first, 'content') : undefined;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isRecord(part) ? String(part.text ?? part.image_url ?? '') : '')).join('\n');
}

/** The conversation key of a Responses request (its `prompt_cache_key`, else derived); for sticky sessions. */
export function responsesConversationKey(request: ResponsesClientRequest): string {
  if (request.prompt_cache_key) return request.prompt_cache_key;
  const { folded, items } = splitInput(request.input);
  return deriveConversationKey(joinInstructions(request.instructions, folded), firstUserText(items));
}

function joinInstructions(instructions: string | null | undefined, folded: string[]): string {
  return [instructions ?? '', ...folded].filter((text) => text.length > 0).join('\n\n');
}

/** The argument of normaliseResponsesRequest. */
export interface NormaliseResponsesInput {
  request: ResponsesClientRequest;
  /** The slug the router chose; sent verbatim. */
  upstreamModel: string;
  /** Overrides the client's prompt_cache_key and the derived key. */
  promptCacheKey?: string;
}

/** Makes a client's Responses request acceptable to the ChatGPT Codex backend; throws ProxyError 400 where it cannot. */
export function normaliseResponsesRequest(options: NormaliseResponsesInput): TranslatedRequest {
  const { request, upstreamModel } = options;
  if (request.previous_response_id) {
    throw ProxyError.unsupportedParameter(
      'previous_response_id',
      'the ChatGPT Codex backend is stateless (store is false) and cannot look up earlier responses; ' +
        'send the full conversation history in input instead.',
    );
  }
  const warnings = collectWarnings(request);
  const { folded, items } = splitInput(request.input);
  checkToolPairing(items);
  const { input, repairedCallIds } = insertMissingToolOutputs(items);
  for (const callId of repairedCallIds) warnings.push(`function_call ${callId} had no output; sent "${MISSING_TOOL_RESULT_TEXT}"`);
  const tools = normaliseTools(request.tools);
  const toolChoice = normaliseToolChoice(request.tool_choice);
  const reasoning = normaliseReasoning(request, upstreamModel);
  const text = normaliseText(request.text);
  const promptCacheKey = options.promptCacheKey ?? responsesConversationKey(request);
  const body: ResponsesRequestBody = {
    model: upstreamModel,
    instructions: joinInstructions(request.instructions, folded),
    input,
    ...(tools.length > 0 ? { tools } : {}),
    ...(tools.length > 0 && toolChoice ? { tool_choice: toolChoice } : {}),
    ...(tools.length > 0 && typeof request.parallel_tool_calls === 'boolean' ? { parallel_tool_calls: request.parallel_tool_calls } : {}),
    ...(reasoning ? { reasoning } : {}),
    include: ['reasoning.encrypted_content'],
    ...(text ? { text } : {}),
    ...(request.service_tier === 'priority' ? { service_tier: 'priority' as const } : {}),
    prompt_cache_key: promptCacheKey,
    store: false,
    stream: true,
  };
  return { request: body, warnings, promptCacheKey };
}
