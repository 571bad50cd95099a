/**
 * The benchmark's output: one table row per figure, each proxied number beside its direct twin and the target it
 * is held to (PASS/MISS), printed to stdout and written with machine info to bench/results/latest.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Comparison } from './compare.js';
import type { MemoryResult } from './memory.js';
import type { TranslatorResult } from './translator.js';

export interface BenchResults {
  nonStream: Comparison[];
  nonStreamInfoLog?: Comparison | undefined;
  /** A bare Fastify + undici proxy against the same direct twin: the floor of this harness (floor-proxy.ts). */
  nonStreamFloor?: Comparison[] | undefined;
  /** os.loadavg() before and after: other work on the machine shows up here. */
  loadAverage?: { before: number[]; after: number[] } | undefined;
  streamFirstByte: Comparison[];
  stream200: Comparison | undefined;
  translator: TranslatorResult | undefined;
  memory: MemoryResult | undefined;
  mockRssBytes?: number | undefined;
  /** Connections and requests the mock saw over the whole run (keep-alive: far fewer connections than requests). */
  mockConnections?: { connections: number; requests: number } | undefined;
  settings: Record<string, unknown>;
}

export interface Row {
  metric: string;
  direct: string;
  proxied: string;
  added: string;
  target: string;
  result: string;
}

export interface TargetCheck {
  name: string;
  value: number;
  unit: string;
  target: string;
  pass: boolean;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : 'n/a');
const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a');
const rate = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const signed = (value: number, format: (v: number) => string) => (value >= 0 ? `+${format(value)}` : `-${format(-value)}`);

/**
 * CPU per request of the process that answered: the mock on the direct side, the proxy process on the proxied side
 * (its own CPU only; the mock's share behind it is not added). "added" is the load generator's CPU per request.
 */
function cpuRow(prefix: string, run: Comparison, proxy = 'proxycast'): Row {
  return { metric: `${prefix} CPU/req: mock | ${proxy} (ms)`, direct: ms(run.direct.serverCpuPerRequestMs), proxied: ms(run.proxied.serverCpuPerRequestMs), added: `client ${ms(run.proxied.cpuPerRequestMs)}`, target: '', result: '' };
}

/** Builds the table rows and the list of target checks from the results. */
export function buildRows(results: BenchResults): { rows: Row[]; checks: TargetCheck[] } {
  const rows: Row[] = [];
  const checks: TargetCheck[] = [];
  const check = (name: string, value: number, unit: string, target: string, pass: boolean): 'PASS' | 'MISS' => {
    checks.push({ name, value, unit, target, pass });
    return pass ? 'PASS' : 'MISS';
  };
  for (const run of results.nonStream) {
    const c = run.concurrency;
    const addedP50 = run.proxied.latencyP50Ms - run.direct.latencyP50Ms;
    const addedP99 = run.proxied.latencyP99Ms - run.direct.latencyP99Ms;
    const ratio = run.proxied.requestsPerSecond / run.direct.requestsPerSecond;
    rows.push({ metric: `non-stream c=${c} latency p50 (ms)`, direct: ms(run.direct.latencyP50Ms), proxied: ms(run.proxied.latencyP50Ms), added: signed(addedP50, ms), target: c === 16 ? 'added < 1 ms' : '', result: c === 16 ? check('non-stream added p50 at c=16', addedP50, 'ms', '< 1', addedP50 < 1) : '' });
    rows.push({ metric: `non-stream c=${c} latency p99 (ms)`, direct: ms(run.direct.latencyP99Ms), proxied: ms(run.proxied.latencyP99Ms), added: signed(addedP99, ms), target: c === 16 ? 'added < 5 ms' : '', result: c === 16 ? check('non-stream added p99 at c=16', addedP99, 'ms', '< 5', addedP99 < 5) : '' });
    rows.push(cpuRow(`non-stream c=${c}`, run));
    rows.push({ metric: `non-stream c=${c} requests/s`, direct: rate(run.direct.requestsPerSecond), proxied: rate(run.proxied.requestsPerSecond), added: `${(ratio * 100).toFixed(1)} %`, target: c === 64 ? 'proxied >= 60 % of direct' : '', result: c === 64 ? check('non-stream req/s ratio at c=64', ratio * 100, '%', '>= 60', ratio >= 0.6) : '' });
  }
  const info = results.nonStreamInfoLog;
  if (info) {
    rows.push({ metric: `  same c=${info.concurrency}, LOG_LEVEL=info: p50 (ms)`, direct: ms(info.direct.latencyP50Ms), proxied: ms(info.proxied.latencyP50Ms), added: signed(info.proxied.latencyP50Ms - info.direct.latencyP50Ms, ms), target: '(production log level)', result: '' });
    rows.push({ metric: `  same c=${info.concurrency}, LOG_LEVEL=info: p99 (ms)`, direct: ms(info.direct.latencyP99Ms), proxied: ms(info.proxied.latencyP99Ms), added: signed(info.proxied.latencyP99Ms - info.direct.latencyP99Ms, ms), target: '', result: '' });
  }
  for (const run of results.nonStreamFloor ?? []) {
    const c = run.concurrency;
    rows.push({ metric: `  floor (bare fastify+undici) c=${c} p50 (ms)`, direct: ms(run.direct.latencyP50Ms), proxied: ms(run.proxied.latencyP50Ms), added: signed(run.proxied.latencyP50Ms - run.direct.latencyP50Ms, ms), target: '(reference, not proxycast)', result: '' });
    rows.push(cpuRow(`  floor (bare fastify+undici) c=${c}`, run, 'floor'));
    rows.push({ metric: `  floor (bare fastify+undici) c=${c} req/s`, direct: rate(run.direct.requestsPerSecond), proxied: rate(run.proxied.requestsPerSecond), added: `${((run.proxied.requestsPerSecond / run.direct.requestsPerSecond) * 100).toFixed(1)} %`, target: '', result: '' });
  }
  for (const run of results.streamFirstByte) {
    const c = run.label ? `${run.concurrency} ${run.label}` : `${run.concurrency}`;
    const addedP50 = run.proxied.firstByteP50Ms - run.direct.firstByteP50Ms;
    rows.push({ metric: `stream c=${c} first byte p50 (ms)`, direct: ms(run.direct.firstByteP50Ms), proxied: ms(run.proxied.firstByteP50Ms), added: signed(addedP50, ms), target: 'added < 2 ms', result: check(`stream added first byte p50 at c=${c}`, addedP50, 'ms', '< 2', addedP50 < 2) });
    if (run.label) {
      rows.push({ metric: `stream c=${c} total p50 (ms)`, direct: ms(run.direct.latencyP50Ms), proxied: ms(run.proxied.latencyP50Ms), added: signed(run.proxied.latencyP50Ms - run.direct.latencyP50Ms, ms), target: '', result: '' });
    }
    rows.push(cpuRow(`stream c=${c}`, run));
    rows.push({ metric: `stream c=${c} first byte p99 (ms)`, direct: ms(run.direct.firstByteP99Ms), proxied: ms(run.proxied.firstByteP99Ms), added: signed(run.proxied.firstByteP99Ms - run.direct.firstByteP99Ms, ms), target: '', result: '' });
  }
  const long = results.stream200;
  if (long) {
    rows.push({ metric: `stream 200 events c=${long.concurrency} total p50 (ms)`, direct: ms(long.direct.latencyP50Ms), proxied: ms(long.proxied.latencyP50Ms), added: signed(long.proxied.latencyP50Ms - long.direct.latencyP50Ms, ms), target: '', result: '' });
    rows.push({ metric: `stream 200 events c=${long.concurrency} total p99 (ms)`, direct: ms(long.direct.latencyP99Ms), proxied: ms(long.proxied.latencyP99Ms), added: signed(long.proxied.latencyP99Ms - long.direct.latencyP99Ms, ms), target: '', result: '' });
  }
  const tr = results.translator;
  if (tr) {
    rows.push({ metric: 'translator events/s, one core', direct: '', proxied: rate(tr.translatorEventsPerSecond), added: '', target: '', result: '' });
    rows.push({ metric: '  bytes→decode→translate→frames events/s', direct: '', proxied: rate(tr.pipelineEventsPerSecond), added: '', target: '', result: '' });
  }
  const mem = results.memory;
  if (mem) {
    const mib = 1024 * 1024;
    rows.push({ metric: 'RSS idle', direct: '', proxied: mb(mem.idleRssBytes), added: '', target: '< 100 MB', result: check('RSS idle', mem.idleRssBytes / mib, 'MB', '< 100', mem.idleRssBytes < 100 * mib) });
    rows.push({ metric: '  idle live heap after GC / heap reserved', direct: '', proxied: `${mb(mem.idleHeapAfterGc.heapUsedBytes)} / ${mb(mem.idleHeapAfterGc.heapTotalBytes)}`, added: '', target: '', result: '' });
    rows.push({ metric: `RSS with ${mem.openStreamsHeld}/${mem.openStreams} open streams`, direct: '', proxied: mb(mem.openStreamsRssBytes), added: '', target: '< 250 MB', result: check('RSS with 200 open streams', mem.openStreamsRssBytes / mib, 'MB', '< 250', mem.openStreamsRssBytes < 250 * mib && mem.openStreamsHeld === mem.openStreams) });
    for (const entry of mem.rssByRequests.filter((sample) => sample.requests % 5_000 === 0)) rows.push({ metric: `RSS after ${entry.requests.toLocaleString('en-US')} requests`, direct: '', proxied: mb(entry.rssBytes), added: '', target: '', result: '' });
    rows.push({ metric: 'RSS growth 5,000 → 20,000 requests (fitted)', direct: '', proxied: signed(mem.growthBytes, mb), added: '', target: '', result: '' });
    rows.push({ metric: 'live heap after full GC at 5,000 / 20,000', direct: '', proxied: `${mb(mem.heapAfterGcAt5kBytes)} / ${mb(mem.heapAfterGcAt20kBytes)}`, added: '', target: '', result: '' });
    rows.push({ metric: 'live heap growth 5,000 → 20,000 requests', direct: '', proxied: signed(mem.heapGrowthBytes, mb), added: '', target: '< 5 MB (no leak)', result: check('live heap growth 5k→20k requests', mem.heapGrowthBytes / mib, 'MB', '< 5', mem.heapGrowthBytes < 5 * mib) });
    rows.push({ metric: 'RSS idle after the load', direct: '', proxied: mb(mem.afterLoadIdleRssBytes), added: '', target: '', result: '' });
  }
  return { rows, checks };
}

/** The rows as a fixed-width text table. */
export function formatTable(rows: Row[]): string {
  const header: Row = { metric: 'metric', direct: 'direct', proxied: 'proxied', added: 'added/ratio', target: 'target', result: 'result' };
  const all = [header, ...rows];
  const keys = ['metric', 'direct', 'proxied', 'added', 'target', 'result'] as const;
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: Row) => keys.map((key, index) => (index === 0 || index >= 4 ? row[key].padEnd(widths[index]!) : row[key].padStart(widths[index]!))).join(' | ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Machine facts recorded with the numbers. */
export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, arch: os.arch(), totalMemoryBytes: os.totalmem() };
}

/** Writes the JSON next to the sources (bench/results/latest.json) and returns its path. */
export function writeResults(file: string, results: BenchResults, rows: Row[], checks: TargetCheck[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const body = { date: new Date().toISOString(), machine: machineInfo(), ...results, targets: checks, table: rows };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
