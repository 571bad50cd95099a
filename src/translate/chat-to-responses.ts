/**
 * Chat Completions request → ChatGPT Codex Responses request (codex-protocol.md 8.1), as a pure function.
 * The body is built from a whitelist: a key reaches the backend only if this file writes it, so a parameter the
 * backend rejects (5.4) can never leak through. Everything dropped is reported in `warnings`.
 */
import { ProxyError } from '../errors.js';
import type { ChatAssistantMessage, ChatCompletionRequest, ChatContent, ChatMessage, ChatTool, ChatToolMessage } from '../wire/chat.js';
import {
  isReasoningEffort,
  REASONING_EFFORTS,
  type ReasoningEffort,
  type ResponsesContentPart,
  type ResponsesFunctionCallOutputItem,
  type ResponsesFunctionTool,
  type ResponsesInputItem,
  type ResponsesRequestBody,
  type ResponsesToolChoice,
} from '../wire/responses.js';
import { deriveConversationKey, REJECTED_PARAMETERS, splitEffortSuffix, type TranslatedRequest } from './codex-request-rules.js';
import { claimToolCall, insertMissingToolOutputs, MISSING_TOOL_RESULT_TEXT, recordToolCall, type ToolCallLedger } from './tool-pairing.js';

const HANDLED_KEYS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort',
  'reasoning', 'response_format', 'verbosity', 'n', 'prompt_cache_key', 'service_tier',
]);

/** The conversation key of a Chat request (its `prompt_cache_key`, else derived); the pool uses it for sticky sessions. */
export function chatConversationKey(request: ChatCompletionRequest): string {
  if (request.prompt_cache_key) return request.prompt_cache_key;
  const firstUser = request.messages.find((message) => message.role === 'user');
  return deriveConversationKey(collectInstructions(request.messages), firstUser ? contentFingerprint(firstUser.content) : '');
}

function collectInstructions(messages: ChatMessage[]): string {
  const texts: string[] = [];
  messages.forEach((message, index) => {
    if (message.role === 'system' || message.role === 'developer') texts.push(plainText(message.content, `messages[${index}].content`));
  });
  return texts.filter((text) => text.length > 0).join('\n\n');
}

function contentFingerprint(content: ChatContent): string {
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? (typeof part.image_url === 'string' ? part.image_url : (part.image_url?.url ?? ''))).join('\n');
}

const TEXT_PART_TYPES = new Set(['text', 'input_text', 'output_text', 'refusal']);

/** Text of a content that may hold only text parts (system, developer, assistant). */
function plainText(content: ChatContent | null | undefined, param: string): string {
  if (content === null || content === undefined || typeof content === 'string') return content ?? '';
  return content
    .map((part, index) => {
      const text = part.text ?? part.refusal;
      if (TEXT_PART_TYPES.has(part.type) && typeof text === 'string') return text;
      throw ProxyError.invalidRequest(`Only text parts are allowed here, not '${part.type}'.`, `${param}[${index}].type`);
    })
    .join('');
}

function userContent(content: ChatContent, param: string): ResponsesContentPart[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }];
  return content.map((part, index): ResponsesContentPart => {
    const at = `${param}[${index}]`;
    if (part.type === 'text' || part.type === 'input_text') {
      if (typeof part.text !== 'string') throw ProxyError.invalidRequest('A text part needs a string `text`.', `${at}.text`);
      return { type: 'input_text', text: part.text };
    }
    if (part.type === 'image_url') {
      const url = typeof part.image_url === 'string' ? part.image_url : part.image_url?.url;
      if (!url) throw ProxyError.invalidRequest('An image_url part needs `image_url` (a URL or data URL).', `${at}.image_url`);
      const detail = typeof part.image_url === 'object' ? part.image_url.detail : undefined;
      return { type: 'input_image', image_url: url, ...(detail ? { detail } : {}) };
    }
    if (part.type === 'file' && (part.file?.file_data || part.file?.file_id)) {
      const { file_data, file_id, filename } = part.file;
      return { type: 'input_file', ...(file_data ? { file_data } : {}), ...(file_id ? { file_id } : {}), ...(filename ? { filename } : {}) };
    }
    throw ProxyError.invalidRequest(`Content part type '${part.type}' is not supported; send text, image_url or file parts.`, `${at}.type`);
  });
}

interface Conversion extends ToolCallLedger { input: ResponsesInputItem[]; warnings: string[] }

function addAssistant(message: ChatAssistantMessage, index: number, state: Conversion): void {
  const text = plainText(message.content?.length ? message.content : (message.refusal ?? ''), `messages[${index}].content`);
  if (text.length > 0) state.input.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
  (message.tool_calls ?? []).forEach((call, callIndex) => {
    if (call.type !== undefined && call.type !== 'function') {
      throw ProxyError.invalidRequest(`Tool call type '${call.type}' is not supported.`, `messages[${index}].tool_calls[${callIndex}].type`);
    }
    const callId = recordToolCall(state, (call.id ?? '').trim(), index, callIndex, call.function.name);
    const raw = call.function.arguments;
    const args = typeof raw === 'string' ? raw : raw ? JSON.stringify(raw) : '';
    state.input.push({ type: 'function_call', call_id: callId, name: call.function.name, arguments: args.trim() ? args : '{}' });
  });
}

/** A tool result: text stays a string; content with images becomes input_text / input_image parts. */
function toolOutput(content: ChatContent, param: string): ResponsesFunctionCallOutputItem['output'] {
  if (typeof content === 'string') return content;
  if (content.every((part) => part.type !== 'image_url')) return content.map((part) => part.text ?? '').join('');
  return userContent(content, param).filter((part) => part.type === 'input_text' || part.type === 'input_image');
}

/** A tool message → function_call_output for the call it answers (the pairing rules are in tool-pairing.ts). */
function addToolResult(message: ChatToolMessage, index: number, state: Conversion): void {
  const clientId = (message.tool_call_id ?? '').trim();
  const call = claimToolCall(state.calls, clientId, `messages[${index}].tool_call_id`);
  if (clientId === '') state.warnings.push(`messages[${index}] had no tool_call_id; paired with call ${call.callId}`);
  state.input.push({ type: 'function_call_output', call_id: call.callId, output: toolOutput(message.content, `messages[${index}].content`) });
}

function convertMessages(messages: ChatMessage[], warnings: string[]): ResponsesInputItem[] {
  const state: Conversion = { input: [], calls: [], usedIds: new Set(), warnings };
  messages.forEach((message, index) => {
    if (message.role === 'user') {
      state.input.push({ type: 'message', role: 'user', content: userContent(message.content, `messages[${index}].content`) });
    }
    else if (message.role === 'assistant') addAssistant(message, index, state);
    else if (message.role === 'tool') addToolResult(message, index, state);
    else if (message.role === 'function') {
      const why = "Role 'function' (the deprecated functions API) is not supported; use tools and role 'tool'.";
      throw ProxyError.invalidRequest(why, `messages[${index}].role`);
    }
  });
  const { input, repairedCallIds } = insertMissingToolOutputs(state.input);
  for (const callId of repairedCallIds) warnings.push(`tool call ${callId} had no result; sent "${MISSING_TOOL_RESULT_TEXT}"`);
  return input;
}

function convertTool(tool: ChatTool, index: number): ResponsesFunctionTool {
  if (tool.type !== 'function') throw ProxyError.invalidRequest(`Only function tools are supported, not '${tool.type}'.`, `tools[${index}].type`);
  const definition = tool.function ?? tool;
  if (!definition.name) throw ProxyError.invalidRequest('A function tool needs a name.', `tools[${index}].function.name`);
  return {
    type: 'function',
    name: definition.name,
    ...(definition.description ? { description: definition.description } : {}),
    parameters: definition.parameters ?? { type: 'object', properties: {} },
    // Chat Completions defaults `strict` to false while the Responses API defaults it to true: keep Chat's meaning.
    strict: definition.strict ?? false,
  };
}

function convertToolChoice(choice: ChatCompletionRequest['tool_choice'], tools: ResponsesFunctionTool[]): ResponsesToolChoice | undefined {
  if (choice === null || choice === undefined) return undefined;
  if (typeof choice === 'string') {
    if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
    throw ProxyError.invalidRequest(`tool_choice '${choice}' is not one of auto, none, required.`, 'tool_choice');
  }
  const name = choice.function?.name ?? (typeof choice.name === 'string' ? choice.name : undefined);
  if (choice.type !== 'function' || !name) {
    throw ProxyError.invalidRequest('tool_choice must be a string or {type:"function",function:{name}}.', 'tool_choice');
  }
  if (!tools.some((tool) => tool.name === name)) {
    throw ProxyError.invalidRequest(`tool_choice names '${name}', which is not in tools.`, 'tool_choice');
  }
  return { type: 'function', name };
}

function convertReasoning(request: ChatCompletionRequest, suffixEffort: ReasoningEffort | undefined): ResponsesRequestBody['reasoning'] {
  // An explicit field beats the model-name suffix: it is the more specific, per-request choice.
  const effort = request.reasoning?.effort ?? request.reasoning_effort ?? suffixEffort;
  if (effort !== undefined && effort !== null && !isReasoningEffort(effort)) {
    const param = request.reasoning?.effort ? 'reasoning.effort' : 'reasoning_effort';
    throw ProxyError.invalidRequest(`Reasoning effort '${effort}' is not one of ${REASONING_EFFORTS.join(', ')}.`, param);
  }
  const summary = request.reasoning?.summary ?? 'auto';
  if (!['auto', 'concise', 'detailed', 'none'].includes(summary)) {
    throw ProxyError.invalidRequest(`reasoning.summary '${summary}' is not one of auto, concise, detailed, none.`, 'reasoning.summary');
  }
  const withSummary = summary !== 'none' && effort !== 'none' ? { summary } : {};
  return { ...(effort ? { effort } : {}), ...withSummary };
}

function convertText(request: ChatCompletionRequest): ResponsesRequestBody['text'] {
  const format = request.response_format;
  const verbosity = request.verbosity ?? undefined;
  if (verbosity !== undefined && !['low', 'medium', 'high'].includes(verbosity)) {
    throw ProxyError.invalidRequest(`verbosity '${verbosity}' is not one of low, medium, high.`, 'verbosity');
  }
  const text: NonNullable<ResponsesRequestBody['text']> = verbosity ? { verbosity } : {};
  if (format?.type === 'json_schema') {
    const spec = format.json_schema;
    if (!spec?.schema) throw ProxyError.invalidRequest('response_format json_schema needs json_schema.schema.', 'response_format.json_schema.schema');
    const description = spec.description ? { description: spec.description } : {};
    text.format = { type: 'json_schema', name: spec.name ?? 'response', schema: spec.schema, strict: spec.strict ?? false, ...description };
  } else if (format?.type === 'json_object') text.format = { type: 'json_object' };
  else if (format && format.type !== 'text') {
    throw ProxyError.invalidRequest(`response_format type '${format.type}' is not one of text, json_object, json_schema.`, 'response_format.type');
  }
  return Object.keys(text).length > 0 ? text : undefined;
}

function droppedKeyWarnings(request: ChatCompletionRequest): string[] {
  const rejected = new Set<string>(REJECTED_PARAMETERS);
  return Object.entries(request).flatMap(([key, value]) => {
    if (HANDLED_KEYS.has(key) || value === null || value === undefined) return [];
    if (key === 'store') return ["store forced to false: the ChatGPT Codex backend stores nothing"];
    return [rejected.has(key) ? `dropped '${key}': the ChatGPT Codex backend rejects it` : `dropped unknown parameter '${key}'`];
  });
}

/** The argument of chatToResponsesRequest. */
export interface ChatToResponsesInput {
  request: ChatCompletionRequest;
  /** The slug the router chose; sent verbatim. A model-name effort suffix is read from request.model when they differ. */
  upstreamModel: string;
  /** Overrides the client's prompt_cache_key and the derived key. */
  promptCacheKey?: string;
}

/** Translates a validated Chat Completions request into the Responses body for the ChatGPT Codex backend. */
export function chatToResponsesRequest(options: ChatToResponsesInput): TranslatedRequest {
  const { request, upstreamModel } = options;
  if (request.n !== null && request.n !== undefined && request.n !== 1) {
    throw ProxyError.unsupportedParameter('n', 'the ChatGPT Codex backend returns one choice per request; send n=1 or leave it out.');
  }
  const warnings = droppedKeyWarnings(request);
  const instructions = collectInstructions(request.messages);
  const input = convertMessages(request.messages, warnings);
  const tools = (request.tools ?? []).map(convertTool);
  const toolChoice = convertToolChoice(request.tool_choice, tools);
  if (tools.length === 0 && (request.tool_choice || request.parallel_tool_calls !== undefined && request.parallel_tool_calls !== null)) {
    warnings.push('dropped tool_choice / parallel_tool_calls: the request has no tools');
  }
  const suffixEffort = upstreamModel !== request.model ? splitEffortSuffix(request.model).effort : undefined;
  const text = convertText(request);
  if (request.service_tier && request.service_tier !== 'priority') {
    warnings.push(`dropped service_tier '${request.service_tier}': only 'priority' is sent`);
  }
  const promptCacheKey = options.promptCacheKey ?? chatConversationKey(request);
  const body: ResponsesRequestBody = {
    model: upstreamModel,
    instructions,
    input,
    // Chat Completions defaults parallel_tool_calls to true; it is sent only with tools (5.4).
    ...(tools.length > 0 ? { tools, parallel_tool_calls: request.parallel_tool_calls ?? true } : {}),
    ...(tools.length > 0 && toolChoice ? { tool_choice: toolChoice } : {}),
    reasoning: convertReasoning(request, suffixEffort),
    include: ['reasoning.encrypted_content'],
    ...(text ? { text } : {}),
    ...(request.service_tier === 'priority' ? { service_tier: 'priority' as const } : {}),
    prompt_cache_key: promptCacheKey,
    store: false,
    stream: true,
  };
  return { request: body, warnings, promptCacheKey };
}
