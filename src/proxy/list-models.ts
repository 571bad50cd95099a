import type { Credential } from '../credentials/credential.js';
import { isUsable } from '../credentials/selection.js';
import type { OAuthSecret } from '../credentials/types.js';
import type { Runtime } from '../runtime.js';
import { routeModel } from '../routing/router.js';
import { sendUpstream } from '../upstream/forward.js';
import { readBodyText } from '../upstream/stream-source.js';
import { codexBackendHeaders } from './codex-headers.js';
import { FALLBACK_CODEX_MODELS, parseCodexCatalog, parseOpenAIModelList } from './model-catalog.js';
import { upstreamUrl } from './upstream-url.js';

const LIST_TIMEOUT_MS = 5_000;

export interface ModelListEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

async function fetchJson(runtime: Runtime, credential: Credential, url: string, headers: Record<string, string>): Promise<unknown> {
  const response = await sendUpstream({
    credentialId: credential.id,
    url,
    method: 'GET',
    headers: { ...headers, accept: 'application/json' },
    dispatcher: runtime.dispatcherFor(credential),
    signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
    timeouts: { firstByteMs: LIST_TIMEOUT_MS, idleMs: LIST_TIMEOUT_MS },
  });
  const text = await readBodyText(response.body, 4 * 1024 * 1024);
  if (response.status >= 400) return undefined;
  return JSON.parse(text) as unknown;
}

/** Reads one credential's model list: the ChatGPT account's catalog, or an API key's upstream /models. */
export async function fetchCredentialModels(runtime: Runtime, credential: Credential): Promise<string[] | undefined> {
  const config = runtime.config();
  const secret = credential.kind === 'oauth' ? await runtime.oauthSecret(credential) : credential.secret;
  if (secret?.kind === 'oauth') {
    const url = upstreamUrl(credential, config, '/models', { client_version: config.codex.client_version });
    return parseCodexCatalog(await fetchJson(runtime, credential, url, codexBackendHeaders(secret as OAuthSecret, config.codex.client_version, credential.extraHeaders)));
  }
  if (secret?.kind === 'api_key') {
    const url = upstreamUrl(credential, config, '/models');
    return parseOpenAIModelList(await fetchJson(runtime, credential, url, { ...credential.extraHeaders, authorization: `Bearer ${secret.apiKey}` }));
  }
  return undefined;
}

/** GET /v1/models: every usable credential's models plus the OAuth aliases, kept to what the routing table routes. */
export async function listModels(runtime: Runtime): Promise<{ object: 'list'; data: ModelListEntry[] }> {
  const config = runtime.config();
  const now = runtime.deps.clock.now();
  const usable = runtime.pool.list().filter((credential) => isUsable(credential, now));
  const lists = await Promise.all(
    usable.map(async (credential) => {
      const fallback = credential.kind === 'oauth' ? FALLBACK_CODEX_MODELS : [];
      const entry = await runtime.catalog.modelsFor(credential.id, now, () => fetchCredentialModels(runtime, credential), fallback);
      return { credential, models: entry.models };
    }),
  );
  const byId = new Map<string, ModelListEntry>();
  for (const { credential, models } of lists) {
    for (const id of models) if (!byId.has(id)) byId.set(id, { id, object: 'model', created: 0, owned_by: credential.kind === 'oauth' ? 'openai-codex' : 'openai' });
  }
  if (usable.some((credential) => credential.kind === 'oauth')) {
    for (const [pattern, target] of Object.entries(config.codex.model_aliases)) {
      const alias = pattern.replace(/\*+$/, '');
      if (!/[*?]/.test(alias) && !byId.has(alias)) byId.set(alias, { id: alias, object: 'model', created: 0, owned_by: `proxycast-alias:${target === 'default' ? config.codex.default_model : target}` });
    }
  }
  const routed = [...byId.values()].filter((entry) => {
    try {
      routeModel(entry.id, config.routing.rules);
      return true;
    } catch {
      return false;
    }
  });
  return { object: 'list', data: routed };
}
