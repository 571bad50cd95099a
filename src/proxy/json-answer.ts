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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw ProxyError.upstreamError(credentialId, 502, `${answer.status} with ${describeNonJson(text)} instead of JSON`);
  }
  const usage = readUsage((json as { usage?: unknown } | null)?.usage);
  if (usage) onUsage(usage);
  // The credential's own key never goes to a client, even when the upstream quotes it back.
  for (const secret of answer.secrets ?? []) if (secret.length > 0 && text.includes(secret)) text = text.split(secret).join(maskSecret(secret));
  return { kind: 'json', status: answer.status, contentType: String(answer.headers['content-type'] ?? 'application/json'), body: text };
}
