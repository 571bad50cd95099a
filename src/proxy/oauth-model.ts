import type { Credential } from '../credentials/credential.js';
import type { Runtime } from '../runtime.js';
import { resolveOAuthModel } from '../routing/router.js';
import { splitEffortSuffix } from '../translate/codex-request-rules.js';
import { FALLBACK_CODEX_MODELS } from './model-catalog.js';
import { fetchCredentialModels } from './list-models.js';

/**
 * The model an OAuth credential sends upstream for a requested name: an effort suffix comes off (`gpt-5.5-high`),
 * then a catalog model passes unchanged and codex.model_aliases map the rest (`gpt-4` → codex.default_model).
 * The account's catalog is read in the background on first use; until then the built-in fallback list stands in.
 */
export function oauthUpstreamModel(runtime: Runtime, credential: Credential, requested: string): string {
  const config = runtime.config();
  const base = splitEffortSuffix(requested).model;
  let catalog = runtime.catalog.cached(credential.id);
  if (!catalog) {
    void runtime.catalog.modelsFor(credential.id, runtime.deps.clock.now(), () => fetchCredentialModels(runtime, credential), FALLBACK_CODEX_MODELS);
    catalog = new Set(FALLBACK_CODEX_MODELS);
  }
  return resolveOAuthModel(base, { aliases: config.codex.model_aliases, defaultModel: config.codex.default_model, catalog });
}
