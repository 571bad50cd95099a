import type { FastifyInstance } from 'fastify';
import type { QuotaWindow } from '../credentials/quota.js';
import { isUsable } from '../credentials/selection.js';
import type { Runtime } from '../runtime.js';

function windowJson(window: QuotaWindow | undefined, now: number) {
  if (!window) return null;
  return {
    used_percent: window.usedPercent,
    limit_window_seconds: window.windowMinutes !== undefined ? window.windowMinutes * 60 : null,
    reset_at: window.resetsAt !== undefined ? Math.floor(window.resetsAt / 1000) : null,
    reset_after_seconds: window.resetsAt !== undefined ? Math.max(0, Math.round((window.resetsAt - now) / 1000)) : null,
  };
}

/**
 * GET /backend-api/wham/usage (and /api/codex/usage): the Codex usage endpoint answered from the pool, so a Codex
 * client pointed at proxycast sees the headroom of the best usable account instead of blocking on one account's limit.
 */
export function registerUsageRoute(app: FastifyInstance, runtime: Runtime): void {
  const handler = async () => {
    const now = runtime.deps.clock.now();
    const withQuota = runtime.pool.list().filter((credential) => credential.kind === 'oauth' && credential.quota);
    const usable = withQuota.filter((credential) => isUsable(credential, now));
    const candidates = usable.length > 0 ? usable : withQuota;
    const best = [...candidates].sort((a, b) => (a.quota?.primary?.usedPercent ?? 0) - (b.quota?.primary?.usedPercent ?? 0))[0];
    return {
      plan_type: best?.quota?.plan ?? null,
      rate_limit: best ? { allowed: usable.length > 0, limit_reached: usable.length === 0, primary_window: windowJson(best.quota?.primary, now), secondary_window: windowJson(best.quota?.secondary, now) } : null,
      proxycast: {
        credential: best?.id ?? null,
        accounts: withQuota.map((credential) => ({
          credential: credential.id,
          usable: isUsable(credential, now),
          primary_window: windowJson(credential.quota?.primary, now),
          secondary_window: windowJson(credential.quota?.secondary, now),
        })),
      },
    };
  };
  app.get('/backend-api/wham/usage', handler);
  app.get('/api/codex/usage', handler);
}
