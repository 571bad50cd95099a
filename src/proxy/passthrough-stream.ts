import { ProxyError } from '../errors.js';
import { transportError, type UpstreamResponse } from '../upstream/forward.js';
import { tokenUsageFromChat, tokenUsageFromResponses, type TokenUsage } from '../metrics/usage.js';

const DONE_MARK = 'data: [DONE]';

/** The terminal events of a Responses stream: one of them must arrive for the stream to count as finished. */
export const RESPONSES_END_MARKS = ['"response.completed"', '"response.incomplete"', '"response.failed"'] as const;

/** Finds `usage` in the complete `data:` lines of a chunk (the last chunk of an include_usage stream holds it). */
function readUsageLines(text: string, onUsage: (usage: TokenUsage) => void): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {') || !line.includes('"usage"')) continue;
    try {
      const parsed = JSON.parse(line.slice(6)) as { usage?: unknown; response?: { usage?: unknown } };
      const usage = parsed.response?.usage ? tokenUsageFromResponses(parsed.response.usage) : tokenUsageFromChat(parsed.usage);
      if (usage) onUsage(usage);
    } catch {
      // A data line split across chunks; the usage of this answer is then not counted.
    }
  }
}

/**
 * Yields an OpenAI-compatible upstream's SSE bytes unchanged, as they arrive. A stream that breaks, or ends without
 * `data: [DONE]`, throws so the client gets an SSE error frame instead of a stream that looks finished.
 */
export async function* passThroughSse(
  credentialId: string,
  response: UpstreamResponse,
  onUsage: (usage: TokenUsage) => void = () => undefined,
  endMarks: readonly string[] = [DONE_MARK],
): AsyncGenerator<Uint8Array> {
  const longestMark = Math.max(...endMarks.map((mark) => mark.length));
  let tail = '';
  let sawDone = false;
  try {
    for await (const chunk of response.body) {
      const bytes = chunk as Buffer;
      const text = bytes.toString('latin1');
      const window = tail + text;
      if (endMarks.some((mark) => window.includes(mark))) sawDone = true;
      // Only a chunk that mentions usage is looked into; every other byte passes untouched.
      if (text.includes('"usage"')) readUsageLines(bytes.toString('utf8'), onUsage);
      tail = window.slice(-longestMark);
      yield bytes;
    }
  } catch (error) {
    const cause = transportError(credentialId, error);
    throw ProxyError.streamInterrupted(credentialId, cause.message);
  }
  if (!sawDone) throw ProxyError.streamInterrupted(credentialId, `the upstream closed the stream without ${endMarks.join(' or ')}`);
}
