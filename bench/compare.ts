/**
 * Direct vs proxied, alternating in one run: a short warm-up of each, then rounds of (direct, proxied) with the
 * order flipped every round so drift (CPU frequency, GC, the other side's leftovers) falls on both sides equally.
 */
import { mergeSamples, percentile, runLoad, throughput, type Sample, type Target } from './load.js';

export interface Figures {
  requests: number;
  errors: number;
  firstError?: string | undefined;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  firstByteP50Ms: number;
  firstByteP99Ms: number;
  /** CPU of the bench process (the load generator) per request. */
  cpuPerRequestMs: number;
  /** CPU of the answering process per request: the mock (direct) or proxycast (proxied); NaN when not measured. */
  serverCpuPerRequestMs: number;
}

export interface Comparison {
  concurrency: number;
  /** Set when the scenario differs from its section's default (shown in the table). */
  label?: string;
  direct: Figures;
  proxied: Figures;
}

export function figures(sample: Sample): Figures {
  return {
    requests: sample.requests,
    errors: sample.errors,
    ...(sample.firstError ? { firstError: sample.firstError } : {}),
    requestsPerSecond: throughput(sample),
    latencyP50Ms: percentile(sample.latencies, 0.5),
    latencyP99Ms: percentile(sample.latencies, 0.99),
    firstByteP50Ms: percentile(sample.firstByte, 0.5),
    firstByteP99Ms: percentile(sample.firstByte, 0.99),
    cpuPerRequestMs: sample.requests > 0 ? sample.cpuMs / sample.requests : Number.NaN,
    serverCpuPerRequestMs: sample.requests > 0 ? sample.serverCpuMs / sample.requests : Number.NaN,
  };
}

export interface CompareOptions {
  concurrency: number;
  rounds: number;
  roundMs: number;
  warmupMs: number;
}

/** Runs the same load against both targets, alternating, and returns the pooled figures of each side. */
export async function compare(targets: { direct: Target; proxied: Target }, options: CompareOptions): Promise<Comparison> {
  const load = { concurrency: options.concurrency };
  await runLoad(targets.direct, { ...load, durationMs: options.warmupMs });
  await runLoad(targets.proxied, { ...load, durationMs: options.warmupMs });
  const direct: Sample[] = [];
  const proxied: Sample[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? (['direct', 'proxied'] as const) : (['proxied', 'direct'] as const);
    for (const side of order) {
      const sample = await runLoad(targets[side], { ...load, durationMs: options.roundMs });
      (side === 'direct' ? direct : proxied).push(sample);
    }
  }
  return { concurrency: options.concurrency, direct: figures(mergeSamples(direct)), proxied: figures(mergeSamples(proxied)) };
}
