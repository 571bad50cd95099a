import { z } from 'zod';

/** Used when an account's catalog cannot be read; the newest slugs seen (codex-protocol.md 9). */
export const FALLBACK_CODEX_MODELS: readonly string[] = ['gpt-5.5', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-5.6-luna', 'gpt-5.3-codex-spark'];

const CATALOG_TTL_MS = 60 * 60 * 1000;
const FAILED_RETRY_MS = 60 * 1000;

const codexCatalogSchema = z.looseObject({
  models: z.array(z.looseObject({ slug: z.string(), visibility: z.string().optional(), priority: z.number().optional() })),
});
const openAIModelListSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string() })) });

/** The listed model slugs of a `<chatgpt base>/models` answer, by priority; hidden ones left out. */
export function parseCodexCatalog(json: unknown): string[] | undefined {
  const parsed = codexCatalogSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return parsed.data.models
    .filter((model) => model.visibility !== 'hide')
    .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))
    .map((model) => model.slug);
}

/** The ids of an OpenAI `GET /models` list. */
export function parseOpenAIModelList(json: unknown): string[] | undefined {
  const parsed = openAIModelListSchema.safeParse(json);
  return parsed.success ? parsed.data.data.map((model) => model.id) : undefined;
}

interface CatalogEntry {
  models: string[];
  fetchedAt: number;
  fromFallback: boolean;
}

/** Caches each credential's model list (an hour; a failed read is retried after a minute, with the fallback list meanwhile). */
export class ModelCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private readonly inFlight = new Map<string, Promise<CatalogEntry>>();

  /** The cached list for a credential, without fetching; undefined when never read. */
  cached(credentialId: string): ReadonlySet<string> | undefined {
    const entry = this.entries.get(credentialId);
    return entry ? new Set(entry.models) : undefined;
  }

  /** The list for a credential, reading it with `fetchModels` when stale (one read at a time per credential). */
  async modelsFor(credentialId: string, now: number, fetchModels: () => Promise<string[] | undefined>, fallback: readonly string[]): Promise<CatalogEntry> {
    const entry = this.entries.get(credentialId);
    if (entry && now - entry.fetchedAt < (entry.fromFallback ? FAILED_RETRY_MS : CATALOG_TTL_MS)) return entry;
    let pending = this.inFlight.get(credentialId);
    if (!pending) {
      pending = fetchModels()
        .catch(() => undefined)
        .then((models) => {
          const next: CatalogEntry = models && models.length > 0 ? { models, fetchedAt: now, fromFallback: false } : { models: [...fallback], fetchedAt: now, fromFallback: true };
          this.entries.set(credentialId, next);
          return next;
        })
        .finally(() => this.inFlight.delete(credentialId));
      this.inFlight.set(credentialId, pending);
    }
    return pending;
  }
}
