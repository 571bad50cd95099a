/**
 * The requests of the benchmark, built so each direct request is the one proxycast itself would send upstream:
 * the API-key path forwards the client's body unchanged, and the Codex path's direct body is produced by proxycast's
 * own translator (chatToResponsesRequest) and sent with its own backend headers (codexBackendHeaders).
 */
import { parseChatRequest } from '../src/http/body.js';
import { codexBackendHeaders } from '../src/proxy/codex-headers.js';
import { chatToResponsesRequest } from '../src/translate/chat-to-responses.js';
import { benchDirective } from './mock-answers.js';
import type { Target } from './load.js';
import type { Agent } from 'undici';

// An editor-like request: a system prompt, a short history, then the question (about 1 KB in all; real editor
// requests are often 10-100 KB, which costs proxycast more in JSON and validation, and the direct twin nothing).
const SYSTEM_PROMPT =
  'You are a coding assistant inside the user\'s editor. Answer with the smallest correct change, as a unified diff ' +
  'when code changes, and explain it in one or two sentences. Follow the project\'s style: TypeScript, strict mode, ' +
  'ESM imports with .js suffixes, small files, one JSDoc line per export, no comments that restate the code. ' +
  'Never invent APIs; when unsure, say what you would check. Keep answers short. '.repeat(3);

/** A Chat Completions body; `conversation` varies the first user message (a new sticky-session key per value). */
export function chatBody(options: { stream: boolean; events?: number; gapMs?: number; splitMs?: number; conversation?: number; marker?: string }): string {
  const directive = options.events !== undefined ? ` ${benchDirective(options.events, options.gapMs ?? 0, options.splitMs ?? 0)}` : '';
  return JSON.stringify({
    model: 'gpt-5.4',
    stream: options.stream,
    ...(options.stream ? { stream_options: { include_usage: true } } : {}),
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: `The test in test/unit/config-load.test.ts fails on CI only (conversation ${options.conversation ?? 0}).` },
      { role: 'assistant', content: 'It reads the developer\'s real HOME. Which line builds the path?' },
      { role: 'user', content: `This one: const file = path.join(os.homedir(), ".proxycast", "config.yaml"); how do I fix it?${options.marker ? ` (${options.marker})` : ''}${directive}` },
    ],
  });
}

/** The Responses body and headers proxycast sends the Codex backend for `chat`, computed by proxycast's translator. */
export function translatedCodexRequest(chat: string, accessToken: string, accountId: string): { body: string; headers: Record<string, string> } {
  const request = parseChatRequest(JSON.parse(chat) as unknown);
  const translated = chatToResponsesRequest({ request, upstreamModel: request.model });
  const headers = {
    ...codexBackendHeaders({ kind: 'oauth', accessToken, refreshToken: 'unused', accountId }, '0.146.0'),
    session_id: translated.promptCacheKey,
    accept: 'text/event-stream',
    'content-type': 'application/json',
  };
  return { body: JSON.stringify(translated.request), headers };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Non-stream chat: straight to the mock's /v1/chat/completions with the key, or through proxycast. */
export function nonStreamTargets(mockOrigin: string, proxyUrl: string, apiKey: string, agents: { direct: Agent; proxied: Agent }): { direct: Target; proxied: Target } {
  const body = chatBody({ stream: false });
  return {
    direct: { label: 'direct', url: `${mockOrigin}/v1/chat/completions`, headers: { ...JSON_HEADERS, authorization: `Bearer ${apiKey}`, accept: 'application/json' }, body, expect: '"system_fingerprint"', dispatcher: agents.direct },
    proxied: { label: 'proxied', url: `${proxyUrl}/v1/chat/completions`, headers: { ...JSON_HEADERS, authorization: 'Bearer local-client' }, body, expect: '"system_fingerprint"', dispatcher: agents.proxied },
  };
}

/** Streamed chat over OAuth: the translated Responses request straight to the mock, or the chat request through proxycast. */
export function streamTargets(
  mockOrigin: string,
  proxyUrl: string,
  token: { accessToken: string; accountId: string },
  answer: { events: number; splitMs?: number; gapMs?: number },
  agents: { direct: Agent; proxied: Agent },
): { direct: Target; proxied: Target } {
  const chat = chatBody({ stream: true, events: answer.events, splitMs: answer.splitMs ?? 0, gapMs: answer.gapMs ?? 0 });
  const codex = translatedCodexRequest(chat, token.accessToken, token.accountId);
  return {
    direct: { label: 'direct', url: `${mockOrigin}/backend-api/codex/responses`, headers: codex.headers, body: codex.body, expect: 'event: response.completed', dispatcher: agents.direct },
    proxied: { label: 'proxied', url: `${proxyUrl}/v1/chat/completions`, headers: { ...JSON_HEADERS, authorization: 'Bearer local-client', accept: 'text/event-stream' }, body: chat, expect: '[DONE]', dispatcher: agents.proxied },
  };
}
