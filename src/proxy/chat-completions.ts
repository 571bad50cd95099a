import type { Runtime } from '../runtime.js';
import type { ChatEnvelope } from '../http/body.js';
import { routeModel } from '../routing/router.js';
import { forwardWithApiKey, passthroughBody } from './api-key-passthrough.js';
import { passThroughSse } from './passthrough-stream.js';
import { withCredentialAttempts } from './attempts.js';
import type { PreparedAnswer } from './answer.js';
import type { Credential } from '../credentials/credential.js';

export interface ProxiedAnswer {
  answer: PreparedAnswer;
  credential: Credential;
  upstreamModel: string;
}

/** POST /v1/chat/completions: route, pick a credential, forward (translating for OAuth), fail over before output. */
export async function proxyChatCompletions(runtime: Runtime, body: ChatEnvelope, signal: AbortSignal): Promise<ProxiedAnswer> {
  routeModel(body.model, runtime.config().routing.rules);
  let upstreamModel = body.model;
  const { value, credential } = await withCredentialAttempts(runtime, { signal }, async (credential) => {
    upstreamModel = body.model;
    const stream = body.stream === true;
    const response = await forwardWithApiKey(runtime, credential, '/chat/completions', passthroughBody(body, upstreamModel), stream, signal);
    if (stream) return { kind: 'sse', frames: passThroughSse(credential.id, response) } satisfies PreparedAnswer;
    const contentType = String(response.headers['content-type'] ?? 'application/json');
    return { kind: 'json', status: response.status, contentType, body: response.body } satisfies PreparedAnswer;
  });
  return { answer: value, credential, upstreamModel };
}
