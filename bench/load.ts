/**
 * The load generator: a fixed number of concurrent workers, each looping one request after another for a fixed
 * duration (or until a shared request budget is spent), recording per-request latency and time to first body chunk
 * with performance.now(). undici only; one keep-alive Agent per target so connection set-up is not measured.
 */
import { Agent, request } from 'undici';

/** One side of a comparison: where the request goes and how it is made. */
export interface Target {
  label: string;
  url: string;
  headers: Record<string, string>;
  /** The body, or a function of the request's number (for per-request markers). */
  body: string | ((index: number) => string);
  /** What a good answer contains (any one of them), e.g. "[DONE]" or "event: response.completed". */
  expect: string | readonly string[];
  dispatcher: Agent;
  /** CPU ms used so far by the process that answers this target (the mock, or proxycast), when it is a child. */
  serverCpuMs?: () => number;
}

/** What one run of the load produced. */
export interface Sample {
  /** ms, request start to last body byte, one per successful request. */
  latencies: number[];
  /** ms, request start to the first body chunk. */
  firstByte: number[];
  requests: number;
  errors: number;
  elapsedMs: number;
  /** CPU time of this whole process (user + system, all threads) while the load ran. */
  cpuMs: number;
  /** CPU time of the answering process (Target.serverCpuMs) while the load ran; NaN when unknown. */
  serverCpuMs: number;
  firstError?: string | undefined;
}

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** Stop after this many requests in all (default: no limit). */
  maxRequests?: number;
  /** Called after each finished request with the running total (memory sampling hooks in here). */
  onProgress?: (done: number) => void | Promise<void>;
}

/** A keep-alive client pool for one target, big enough for the highest concurrency used. */
export function createClientAgent(connections = 256): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
}

/** Sends one request and reads the whole body; throws when the status is not 200 or the answer lacks its end marker. */
export async function timeOne(target: Target, index: number): Promise<{ totalMs: number; firstByteMs: number }> {
  const started = performance.now();
  const response = await request(target.url, {
    method: 'POST',
    headers: target.headers,
    body: typeof target.body === 'string' ? target.body : target.body(index),
    dispatcher: target.dispatcher,
  });
  const expected = typeof target.expect === 'string' ? [target.expect] : target.expect;
  let firstByte = -1;
  let seen = false;
  let carry = ''; // the last bytes of the previous chunk, so a marker split across two chunks is still found
  let head = '';
  for await (const chunk of response.body) {
    if (firstByte < 0) firstByte = performance.now();
    if (seen) continue;
    const text = carry + (chunk as Buffer).toString('latin1');
    if (head.length === 0) head = text.slice(0, 200);
    seen = expected.some((marker) => text.includes(marker));
    carry = text.slice(-64);
  }
  const ended = performance.now();
  if (response.statusCode !== 200) throw new Error(`${target.label}: HTTP ${response.statusCode}: ${head}`);
  if (!seen) throw new Error(`${target.label}: the answer has no ${expected.join(' / ')}: ${head}…${carry}`);
  return { totalMs: ended - started, firstByteMs: (firstByte < 0 ? ended : firstByte) - started };
}

/** Runs `concurrency` workers against one target for `durationMs` (or `maxRequests`), collecting every latency. */
export async function runLoad(target: Target, options: LoadOptions): Promise<Sample> {
  const sample: Sample = { latencies: [], firstByte: [], requests: 0, errors: 0, elapsedMs: 0, cpuMs: 0, serverCpuMs: Number.NaN };
  const cpuBefore = process.cpuUsage();
  const serverBefore = target.serverCpuMs?.() ?? Number.NaN;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const budget = options.maxRequests ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  const worker = async () => {
    while (performance.now() < deadline && issued < budget) {
      const index = issued;
      issued += 1;
      try {
        const timing = await timeOne(target, index);
        sample.latencies.push(timing.totalMs);
        sample.firstByte.push(timing.firstByteMs);
      } catch (error) {
        sample.errors += 1;
        sample.firstError ??= (error as Error).message;
      }
      sample.requests += 1;
      if (options.onProgress) await options.onProgress(sample.requests);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  sample.elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  sample.cpuMs = (cpu.user + cpu.system) / 1000;
  sample.serverCpuMs = (target.serverCpuMs?.() ?? Number.NaN) - serverBefore;
  return sample;
}

/** Joins the samples of several rounds (latencies pooled; throughput summed over the time spent). */
export function mergeSamples(samples: Sample[]): Sample {
  return {
    latencies: samples.flatMap((sample) => sample.latencies),
    firstByte: samples.flatMap((sample) => sample.firstByte),
    requests: samples.reduce((sum, sample) => sum + sample.requests, 0),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
    elapsedMs: samples.reduce((sum, sample) => sum + sample.elapsedMs, 0),
    cpuMs: samples.reduce((sum, sample) => sum + sample.cpuMs, 0),
    serverCpuMs: samples.reduce((sum, sample) => sum + sample.serverCpuMs, 0),
    firstError: samples.find((sample) => sample.firstError)?.firstError,
  };
}

/** The q-quantile (0..1) of the values, nearest-rank; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Successful requests per second of a sample. */
export function throughput(sample: Sample): number {
  return sample.elapsedMs > 0 ? (sample.latencies.length * 1000) / sample.elapsedMs : 0;
}
