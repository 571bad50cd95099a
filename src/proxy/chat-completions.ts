import type { Runtime } from '../runtime.js';
import type { ChatEnvelope } from '../http/body.js';
import { routeModel } from '../routing/router.js';
import { forwardWithApiKey, passthroughBody } from './api-key-passthrough.js';
import { passThroughSse } from './passthrough-stream.js';
import { withCredentialAttempts } from './attempts.js';
import type { PreparedAnswer } from './answer.js';
import type { Credential } from '../credentials/credential.js';
import { tokenUsageFromChat, type TokenUsage } from '../metrics/usage.js';
import { transportError, type UpstreamResponse } from '../upstream/forward.js';

/** A non-stream answer is read whole (it arrives whole anyway) so its usage can be counted. */
async function readJsonAnswer(credentialId: string, response: UpstreamResponse, onUsage: (usage: TokenUsage) => void): Promise<PreparedAnswer> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw transportError(credentialId, error);
  }
  try {
    const usage = tokenUsageFromChat((JSON.parse(text) as { usage?: unknown }).usage);
    if (usage) onUsage(usage);
  } catch {
    // Not JSON: passed on as is; the client sees what the upstream said.
  }
  return { kind: 'json', status: response.status, contentType: String(response.headers['content-type'] ?? 'application/json'), body: text };
}

/** What a handler hands down with a request: the client's abort signal and the hooks that feed its log line and metrics. */
export interface RequestTrace {
  signal: AbortSignal;
  onUsage: (usage: TokenUsage) => void;
  onCredential: (credential: Credential) => void;
}

export interface ProxiedAnswer {
  answer: PreparedAnswer;
  credential: Credential;
  upstreamModel: string;
}

/** POST /v1/chat/completions: route, pick a credential, forward (translating for OAuth), fail over before output. */
export async function proxyChatCompletions(runtime: Runtime, body: ChatEnvelope, trace: RequestTrace): Promise<ProxiedAnswer> {
  const { signal, onUsage } = trace;
  routeModel(body.model, runtime.config().routing.rules);
  let upstreamModel = body.model;
  const { value, credential } = await withCredentialAttempts(runtime, { signal, onCredential: trace.onCredential }, async (credential) => {
    upstreamModel = body.model;
    const stream = body.stream === true;
    const response = await forwardWithApiKey(runtime, credential, '/chat/completions', passthroughBody(body, upstreamModel), stream, signal);
    if (stream) return { kind: 'sse', frames: passThroughSse(credential.id, response, onUsage) } satisfies PreparedAnswer;
    return readJsonAnswer(credential.id, response, onUsage);
  });
  return { answer: value, credential, upstreamModel };
}
