import { ProxyError } from '../errors.js';
import { maskSecret } from '../redact.js';
import type { TokenUsage } from '../metrics/usage.js';
import type { UpstreamText } from '../upstream/forward.js';
import type { PreparedAnswer } from './answer.js';

/** What a 2xx body that is not JSON looks like, for the error message (the body itself is never quoted). */
function describeNonJson(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  if (/^<(!doctype|html)/i.test(trimmed)) return 'an HTML page';
  return `${text.length} bytes that are not JSON (cut off, or not an OpenAI-compatible API)`;
}

/** True when the text starts with '{' and ends with '}' (whitespace aside): what a whole JSON object looks like. */
function looksLikeJsonObject(text: string): boolean {
  let start = 0;
  let end = text.length - 1;
  while (start <= end && text.charCodeAt(start) <= 0x20) start += 1;
  while (end >= start && text.charCodeAt(end) <= 0x20) end -= 1;
  return text.charCodeAt(start) === 0x7b && text.charCodeAt(end) === 0x7d;
}

/**
 * The value of the answer's last `"usage": {...}` member, parsed on its own: a full JSON.parse of every answer only
 * to read its token counts was the largest item of proxycast's own time on the non-stream path. Inside a JSON
 * string every quote is escaped, so `"usage"` followed by a colon can only be a key. Undefined when there is no
 * such member or it does not parse (the caller then parses the whole answer).
 */
export function usageObjectOf(text: string): unknown {
  const key = text.lastIndexOf('"usage"');
  if (key === -1) return undefined;
  let at = key + 7;
  while (at < text.length && text.charCodeAt(at) <= 0x20) at += 1;
  if (text.charCodeAt(at) !== 0x3a) return undefined; // ':'
  at += 1;
  while (at < text.length && text.charCodeAt(at) <= 0x20) at += 1;
  if (text.charCodeAt(at) !== 0x7b) return undefined; // '{'
  const start = at;
  let depth = 0;
  let inString = false;
  for (; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === 0x5c) at += 1;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b) depth += 1;
    else if (code === 0x7d) {
      depth -= 1;
      if (depth === 0) {
        try {
          return JSON.parse(text.slice(start, at + 1)) as unknown;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

/**
 * A non-stream upstream answer, read whole (it arrives whole anyway) so its usage can be counted with `readUsage`,
 * then passed to the client as the upstream sent it. A 2xx body that is not JSON (empty, cut off, an HTML page from
 * a proxy or CDN) is no answer: it becomes a 502 instead of a 200 the client cannot read.
 */
export function readJsonAnswer(
  credentialId: string,
  answer: UpstreamText & { secrets?: readonly string[] },
  readUsage: (usage: unknown) => TokenUsage | undefined,
  onUsage: (usage: TokenUsage) => void,
): PreparedAnswer {
  let text = answer.text;
  // The usage object is read on its own when it can be found; the whole answer is parsed only when it cannot.
  let usageValue = looksLikeJsonObject(text) ? usageObjectOf(text) : undefined;
  if (usageValue === undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw ProxyError.upstreamError(credentialId, 502, `${answer.status} with ${describeNonJson(text)} instead of JSON`);
    }
    usageValue = (json as { usage?: unknown } | null)?.usage;
  }
  const usage = readUsage(usageValue);
  if (usage) onUsage(usage);
  // The credential's own key never goes to a client, even when the upstream quotes it back.
  for (const secret of answer.secrets ?? []) if (secret.length > 0 && text.includes(secret)) text = text.split(secret).join(maskSecret(secret));
  return { kind: 'json', status: answer.status, contentType: String(answer.headers['content-type'] ?? 'application/json'), body: text };
}
