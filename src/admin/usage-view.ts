import type { QuotaWindow } from '../credentials/quota.js';
import type { Runtime } from '../runtime.js';
import type { TokenUsage } from '../metrics/usage.js';

export interface QuotaWindowView {
  used_percent: number;
  window_minutes: number | null;
  resets_at: string | null;
}

/** One credential's numbers in GET /api/admin/usage (the same numbers as /metrics, per credential). */
export interface UsageView {
  id: string;
  requests: number;
  successes: number;
  failures: Record<string, number>;
  tokens: TokenUsage;
  tokens_today: TokenUsage;
  last_used: string | null;
  last_error: string | null;
  quota: { plan: string | null; primary: QuotaWindowView | null; secondary: QuotaWindowView | null; captured_at: string } | null;
}

function windowView(window: QuotaWindow | undefined): QuotaWindowView | null {
  if (!window) return null;
  return { used_percent: window.usedPercent, window_minutes: window.windowMinutes ?? null, resets_at: window.resetsAt ? new Date(window.resetsAt).toISOString() : null };
}

/** Usage of every credential in the pool (and of removed ones still on record). */
export function usageView(runtime: Runtime): { credentials: UsageView[] } {
  const today = new Date(runtime.deps.clock.now()).toISOString().slice(0, 10);
  const ids = new Set([...runtime.pool.list().map((credential) => credential.id), ...Object.keys(runtime.usage.all())]);
  const credentials = [...ids].map((id): UsageView => {
    const usage = runtime.usage.of(id);
    const quota = runtime.pool.get(id)?.quota ?? usage.quota;
    return {
      id,
      requests: usage.requests,
      successes: usage.successes,
      failures: usage.failures,
      tokens: usage.tokens,
      tokens_today: usage.today.day === today ? usage.today.tokens : { input: 0, output: 0, cached: 0, reasoning: 0 },
      last_used: usage.lastUsedAt ? new Date(usage.lastUsedAt).toISOString() : null,
      last_error: usage.lastError ?? null,
      quota: quota ? { plan: quota.plan ?? null, primary: windowView(quota.primary), secondary: windowView(quota.secondary), captured_at: new Date(quota.capturedAt).toISOString() } : null,
    };
  });
  return { credentials };
}
