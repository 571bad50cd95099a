import { ProxyError } from '../errors.js';
import type { RoutingRule } from '../config/schema.js';
import { globMatches } from './glob.js';

export type Provider = RoutingRule['provider'];

/** With no routing.rules, every model goes to codex. */
const DEFAULT_RULES: readonly RoutingRule[] = [{ pattern: '*', provider: 'codex', priority: 0 }];

/** Picks the provider for a requested model: the matching rule with the highest priority (first listed on a tie). */
export function routeModel(model: string, rules: readonly RoutingRule[]): { provider: Provider; rule: RoutingRule } {
  const table = rules.length > 0 ? rules : DEFAULT_RULES;
  let best: RoutingRule | undefined;
  for (const rule of table) {
    if (globMatches(rule.pattern, model) && (best === undefined || rule.priority > best.priority)) best = rule;
  }
  if (!best) {
    const patterns = table.map((rule) => `"${rule.pattern}"`).join(', ');
    throw ProxyError.modelNotFound(model, `no routing rule matches it (configured patterns: ${patterns}). Add a rule to routing.rules or ask for a model that matches.`);
  }
  return { provider: best.provider, rule: best };
}

/**
 * The model an OAuth credential sends upstream: a model in the account's catalog passes through unchanged; else the
 * first matching codex.model_aliases glob (in the order written) maps it, where the target "default" means
 * codex.default_model; else it passes through and the backend says whether it exists.
 */
export function resolveOAuthModel(
  model: string,
  options: { aliases: Readonly<Record<string, string>>; defaultModel: string; catalog: ReadonlySet<string> },
): string {
  if (options.catalog.has(model)) return model;
  for (const [pattern, target] of Object.entries(options.aliases)) {
    if (globMatches(pattern, model)) return target === 'default' ? options.defaultModel : target;
  }
  return model;
}
