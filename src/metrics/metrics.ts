import { Counter, Gauge, Registry } from 'prom-client';
import { TallyCounter, TallyHistogram } from './tallies.js';
import type { CredentialPool } from '../credentials/pool.js';
import { effectiveState } from '../credentials/selection.js';
import { CREDENTIAL_STATES } from '../credentials/types.js';
import type { Clock } from '../deps.js';
import { TOKEN_KINDS, type TokenUsage } from './usage.js';

/** Counter values by metric name, then by label set (JSON of sorted labels): what survives a restart. */
export type CounterSnapshot = Record<string, Record<string, number>>;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The Prometheus metrics of the daemon. Labels carry credential ids and model names, never secrets. */
export class Metrics {
  readonly registry = new Registry();
  // Updated on every request: pre-aggregated tallies (tallies.ts) that the same registry renders.
  readonly requests = new TallyCounter({ name: 'proxycast_requests_total', help: 'Proxied requests by credential, model, route and HTTP status', labelNames: ['credential', 'model', 'route', 'status'] as const, registry: this.registry });
  readonly duration = new TallyHistogram({ name: 'proxycast_request_duration_seconds', help: 'Whole request time, stream included', labelNames: ['route', 'credential', 'status'] as const, buckets: LATENCY_BUCKETS, registry: this.registry });
  readonly firstByte = new TallyHistogram({ name: 'proxycast_time_to_first_byte_seconds', help: 'Time until the first byte of the answer went to the client', labelNames: ['route', 'credential'] as const, buckets: LATENCY_BUCKETS, registry: this.registry });
  readonly tokens = new TallyCounter({ name: 'proxycast_tokens_total', help: 'Tokens by credential and kind (input, output, cached, reasoning)', labelNames: ['credential', 'kind'] as const, registry: this.registry });
  readonly refreshes = new Counter({ name: 'proxycast_refreshes_total', help: 'OAuth token refreshes by credential and outcome', labelNames: ['credential', 'outcome'] as const, registers: [this.registry] });
  readonly failovers = new Counter({ name: 'proxycast_failovers_total', help: 'Attempts moved to another credential after a credential fault', labelNames: ['credential', 'code'] as const, registers: [this.registry] });

  constructor(pool: () => CredentialPool, clock: Clock) {
    new Gauge({
      name: 'proxycast_credential_state',
      help: '1 for the current state of each credential',
      labelNames: ['credential', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const now = clock.now();
        for (const credential of pool().list()) {
          const current = effectiveState(credential, now);
          for (const state of CREDENTIAL_STATES) this.set({ credential: credential.id, state }, state === current ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'proxycast_quota_used_percent',
      help: 'Used percent of each upstream quota window (primary, secondary)',
      labelNames: ['credential', 'window'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const credential of pool().list()) {
          if (credential.quota?.primary) this.set({ credential: credential.id, window: 'primary' }, credential.quota.primary.usedPercent);
          if (credential.quota?.secondary) this.set({ credential: credential.id, window: 'secondary' }, credential.quota.secondary.usedPercent);
        }
      },
    });
  }

  /** Adds one answer's tokens. */
  addTokens(credential: string, usage: TokenUsage): void {
    for (const kind of TOKEN_KINDS) if (usage[kind] > 0) this.tokens.inc({ credential, kind }, usage[kind]);
  }

  /** The counters' current values, for persisting. */
  async counterSnapshot(): Promise<CounterSnapshot> {
    const snapshot: CounterSnapshot = {};
    const counters: Array<{ name: string; values: Array<{ labels: Record<string, unknown>; value: number }> }> = [
      this.requests.get(),
      this.tokens.get(),
      await this.refreshes.get(),
      await this.failovers.get(),
    ];
    for (const counter of counters) {
      const byLabels: Record<string, number> = {};
      for (const value of counter.values) byLabels[JSON.stringify(value.labels, Object.keys(value.labels).sort())] = value.value;
      snapshot[counter.name] = byLabels;
    }
    return snapshot;
  }

  /** Seeds the counters with persisted values, so totals continue across restarts. */
  restoreCounters(snapshot: CounterSnapshot): void {
    const byName = new Map<string, { inc(labels: Record<string, string>, value: number): void }>([
      [this.requests.name, this.requests as TallyCounter<string>],
      [this.tokens.name, this.tokens as TallyCounter<string>],
      ['proxycast_refreshes_total', this.refreshes as Counter<string>],
      ['proxycast_failovers_total', this.failovers as Counter<string>],
    ]);
    for (const [name, values] of Object.entries(snapshot)) {
      const counter = byName.get(name);
      if (!counter) continue;
      for (const [labels, value] of Object.entries(values)) {
        if (value > 0) counter.inc(JSON.parse(labels) as Record<string, string>, value);
      }
    }
  }
}
