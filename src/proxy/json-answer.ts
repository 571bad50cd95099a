import type { TokenUsage } from '../metrics/usage.js';
import { transportError, type UpstreamResponse } from '../upstream/forward.js';
import type { PreparedAnswer } from './answer.js';

/**
 * A non-stream upstream answer, read whole (it arrives whole anyway) so its usage can be counted with `readUsage`,
 * then passed to the client as the upstream sent it.
 */
export async function readJsonAnswer(
  credentialId: string,
  response: UpstreamResponse,
  readUsage: (usage: unknown) => TokenUsage | undefined,
  onUsage: (usage: TokenUsage) => void,
): Promise<PreparedAnswer> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw transportError(credentialId, error);
  }
  try {
    const usage = readUsage((JSON.parse(text) as { usage?: unknown }).usage);
    if (usage) onUsage(usage);
  } catch {
    // Not JSON: passed on as is; the client sees what the upstream said.
  }
  return { kind: 'json', status: response.status, contentType: String(response.headers['content-type'] ?? 'application/json'), body: text };
}
