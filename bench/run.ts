/**
 * `npm run bench`: proxycast against a direct call to the same loopback mock upstream, alternating, in one run.
 *   1. translator micro-benchmark (one core, nothing else running)
 *   2. non-stream chat, API-key path: c = 1, 16, 64 (and c = 16 again with the production log level; and a bare
 *      Fastify + undici proxy at c = 16 and 64 as the floor of this harness, see floor-proxy.ts)
 *   3. streamed chat, OAuth path with translation: first byte at c = 1 and 16 (the answer's first delta comes at
 *      once and the rest 5 ms later, as a real answer's first token comes before the rest); total time of a
 *      200-event answer sent at once
 *   4. memory of a proxycast child process: idle, 200 open streams, 20,000 requests
 * Every server runs as its own process with its own event loop: the mock, each proxycast daemon (`node
 * dist/src/cli.js serve` with a temp HOME, logging at warn for 2-3 unless said otherwise, at info for 4) and the floor
 * proxy; this process only generates the load, so the proxy's event loop is its own, as a user's daemon's is. Environment: BENCH_ONLY=translator,nonstream,stream,memory picks parts; BENCH_QUICK=1 runs
 * short rounds (for trying the harness, not for figures). Only a full run writes bench/results/latest.json;
 * BENCH_OUT overrides the JSON path.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, type Comparison } from './compare.js';
import { createClientAgent, type Target } from './load.js';
import { startFloorProxy } from './floor-proxy.js';
import { benchMemory } from './memory.js';
import { buildRows, formatTable, writeResults, type BenchResults } from './report.js';
import { nonStreamTargets, streamTargets } from './requests.js';
import { ACCOUNT_ID, API_KEY, cpuMsOf, LOAD_CPUS, pinProcess, pinningDescription, startBenchDaemon, startMockUpstream, type MockUpstream } from './setup.js';
import { benchTranslator } from './translator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const only = new Set((process.env.BENCH_ONLY ?? 'translator,nonstream,stream,memory').split(',').map((part) => part.trim()));
const rounds = quick ? 1 : 3;
const roundMs = quick ? 500 : 2_000;
const warmupMs = quick ? 200 : 750;
/** The first-byte scenario: the opening events and first delta at once, the rest of the answer this much later. */
const SPLIT_MS = 5;
/** The paced first-byte scenario: one delta every this many ms, as a model streams tokens. */
const PACE_MS = 10;
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Tags each side with the CPU of the process answering it: the mock for direct, the proxy child for proxied. */
function withCpu(targets: { direct: Target; proxied: Target }, mock: MockUpstream, proxy: { cpuMs(): number }): { direct: Target; proxied: Target } {
  const mockPid = mock.process.pid ?? 0;
  return { direct: { ...targets.direct, serverCpuMs: () => cpuMsOf(mockPid) }, proxied: { ...targets.proxied, serverCpuMs: () => proxy.cpuMs() } };
}

async function nonStreamPart(mock: MockUpstream): Promise<{ runs: Comparison[]; info: Comparison | undefined; floor: Comparison[] }> {
  const agents = { direct: createClientAgent(), proxied: createClientAgent() };
  const runs: Comparison[] = [];
  let info: Comparison | undefined;
  {
    const proxy = await startBenchDaemon(mock.origin, { apiKey: true, oauth: false }, 'warn');
    const targets = withCpu(nonStreamTargets(mock.origin, proxy.url, API_KEY, agents), mock, proxy);
    for (const concurrency of [1, 16, 64]) {
      log(`non-stream, API key, c=${concurrency}`);
      runs.push(await compare(targets, { concurrency, rounds, roundMs, warmupMs }));
    }
    await proxy.stop();
  }
  {
    // The same c=16 load with the daemon logging one line per request at info, as production does (to a file).
    const proxy = await startBenchDaemon(mock.origin, { apiKey: true, oauth: false }, 'info');
    log('non-stream, API key, c=16, LOG_LEVEL=info');
    info = await compare(withCpu(nonStreamTargets(mock.origin, proxy.url, API_KEY, agents), mock, proxy), { concurrency: 16, rounds, roundMs, warmupMs });
    await proxy.stop();
  }
  const floor: Comparison[] = [];
  {
    const proxy = await startFloorProxy(mock.origin, API_KEY);
    for (const concurrency of [16, 64]) {
      log(`non-stream, bare fastify+undici proxy process (reference), c=${concurrency}`);
      floor.push(await compare(withCpu(nonStreamTargets(mock.origin, proxy.url, API_KEY, agents), mock, proxy), { concurrency, rounds, roundMs, warmupMs }));
    }
    await proxy.close();
  }
  await Promise.all([agents.direct.close(), agents.proxied.close()]);
  return { runs, info, floor };
}

async function streamPart(mock: MockUpstream): Promise<{ firstByte: Comparison[]; long: Comparison }> {
  const agents = { direct: createClientAgent(), proxied: createClientAgent() };
  const proxy = await startBenchDaemon(mock.origin, { apiKey: false, oauth: true }, 'warn');
  const token = { accessToken: proxy.accessToken, accountId: ACCOUNT_ID };
  const targets = (answer: { events: number; splitMs?: number; gapMs?: number }) => withCpu(streamTargets(mock.origin, proxy.url, token, answer, agents), mock, proxy);
  const firstByte: Comparison[] = [];
  for (const concurrency of [1, 16]) {
    log(`stream, OAuth, 40 events (first delta, then the rest ${SPLIT_MS} ms later), c=${concurrency}`);
    firstByte.push(await compare(targets({ events: 40, splitMs: SPLIT_MS }), { concurrency, rounds, roundMs, warmupMs }));
  }
  // The same at c=16 with a real answer's pace (a delta every 10 ms after the first): the loop is not saturated,
  // so this is the first byte a user waits for while 15 other answers stream.
  log(`stream, OAuth, 40 events (a delta every ${PACE_MS} ms), c=16`);
  const paced = await compare(targets({ events: 40, gapMs: PACE_MS }), { concurrency: 16, rounds, roundMs: roundMs * 1.5, warmupMs });
  paced.label = `paced, a delta every ${PACE_MS} ms`;
  firstByte.push(paced);
  log('stream, OAuth, 200 events at once, c=1');
  const long = await compare(targets({ events: 200 }), { concurrency: 1, rounds, roundMs, warmupMs });
  await proxy.stop();
  await Promise.all([agents.direct.close(), agents.proxied.close()]);
  return { firstByte, long };
}

async function main(): Promise<void> {
  // This process (the load generator) shares core 0 with the mock; proxycast gets core 1 (setup.ts, pinProcess).
  pinProcess(process.pid, LOAD_CPUS);
  const results: BenchResults = {
    nonStream: [],
    streamFirstByte: [],
    stream200: undefined,
    translator: undefined,
    memory: undefined,
    settings: { rounds, roundMs, warmupMs, quick, parts: [...only], proxyProcess: 'child (node dist/src/cli.js serve)', proxyLogLevel: 'warn', memoryLogLevel: 'info', firstByteSplitMs: SPLIT_MS, pacedGapMs: PACE_MS, cpuPlacement: pinningDescription() },
  };
  if (only.has('translator')) {
    log('translator micro-benchmark');
    results.translator = await benchTranslator(quick ? 500 : 1_500);
  }
  const loadBefore = os.loadavg();
  const mock = await startMockUpstream();
  try {
    if (only.has('nonstream')) {
      const before = await mock.stats();
      const part = await nonStreamPart(mock);
      const after = await mock.stats();
      log(`mock saw ${after.connections - before.connections} connections for ${after.requests - before.requests} requests`);
      results.nonStream = part.runs;
      results.nonStreamInfoLog = part.info;
      results.nonStreamFloor = part.floor;
    }
    if (only.has('stream')) {
      const before = await mock.stats();
      const part = await streamPart(mock);
      const after = await mock.stats();
      log(`mock saw ${after.connections - before.connections} connections for ${after.requests - before.requests} requests`);
      results.streamFirstByte = part.firstByte;
      results.stream200 = part.long;
    }
    if (only.has('memory')) {
      log('memory: proxycast child process, idle / 200 open streams / 20,000 requests');
      results.memory = await benchMemory(mock.origin, 'info');
    }
    const stats = await mock.stats();
    results.mockRssBytes = stats.rss;
    results.mockConnections = { connections: stats.connections, requests: stats.requests };
  } finally {
    await mock.stop();
  }
  results.loadAverage = { before: loadBefore, after: os.loadavg() };
  const { rows, checks } = buildRows(results);
  // Only a full run replaces the committed figures; a quick or partial run writes beside the temp files.
  const full = !quick && only.size === 4 && ['translator', 'nonstream', 'stream', 'memory'].every((part) => only.has(part));
  const out = process.env.BENCH_OUT ?? (full ? path.resolve(here, '..', '..', 'bench', 'results', 'latest.json') : path.join(os.tmpdir(), 'proxycast-bench-partial.json'));
  const errors = [...results.nonStream, ...results.streamFirstByte, ...(results.stream200 ? [results.stream200] : [])].flatMap((run) => [run.direct, run.proxied]).filter((side) => side.errors > 0);
  process.stdout.write(`\n${formatTable(rows)}\n\n`);
  for (const side of errors) process.stdout.write(`errors: ${side.errors} (first: ${side.firstError})\n`);
  if (results.memory && (results.memory.loadErrors > 0 || results.memory.openStreamsErrors > 0)) {
    process.stdout.write(`memory run errors: ${results.memory.loadErrors} load, ${results.memory.openStreamsErrors} streams (${results.memory.loadFirstError ?? ''})\n`);
  }
  const missed = checks.filter((entry) => !entry.pass);
  process.stdout.write(`load average (1/5/15 min) before ${loadBefore.map((value) => value.toFixed(2)).join(' ')}, after ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)\n`);
  process.stdout.write(`${checks.length - missed.length}/${checks.length} targets met${missed.length ? `; missed: ${missed.map((entry) => entry.name).join(', ')}` : ''}\n`);
  process.stdout.write(`results: ${writeResults(out, results, rows, checks)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
