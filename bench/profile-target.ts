/**
 * Proxied load only, for profiling proxycast's hot path: proxycast runs as its own process (as in the benchmark)
 * with `--cpu-prof`, so the profile is the daemon's alone, written when it stops:
 *   node dist/bench/profile-target.js nonstream|stream [seconds=5] [concurrency=16] [events=40]
 *   (PROFILE_DIR, default /tmp/prof; SIDE=direct loads the mock instead, SIDE=floor the floor proxy; SPLIT_MS / GAP_MS shape the stream)
 *   node dist/bench/profile-summary.js /tmp/prof/<file>.cpuprofile
 * Prints requests/s, latency, and the CPU per request of proxycast and of this process (the load generator).
 */
import { createClientAgent, percentile, runLoad } from './load.js';
import { nonStreamTargets, streamTargets } from './requests.js';
import { startFloorProxy } from './floor-proxy.js';
import { ACCOUNT_ID, API_KEY, LOAD_CPUS, pinProcess, startBenchDaemon, startMockUpstream } from './setup.js';

const [kind = 'nonstream', secondsArg = '5', concurrencyArg = '16', eventsArg = '40'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const profileDir = process.env.PROFILE_DIR ?? '/tmp/prof';

pinProcess(process.pid, LOAD_CPUS);
const mock = await startMockUpstream();
const nodeArgs = process.env.NO_PROFILE === '1' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
const proxy = await startBenchDaemon(mock.origin, { apiKey: kind === 'nonstream', oauth: kind !== 'nonstream' }, process.env.LOG_LEVEL ?? 'warn', { nodeArgs });
const agents = { direct: createClientAgent(), proxied: createClientAgent() };
const targets = kind === 'nonstream'
  ? nonStreamTargets(mock.origin, proxy.url, API_KEY, agents)
  : streamTargets(mock.origin, proxy.url, { accessToken: proxy.accessToken, accountId: ACCOUNT_ID }, { events: Number(eventsArg), splitMs: Number(process.env.SPLIT_MS ?? 0), gapMs: Number(process.env.GAP_MS ?? 0) }, agents);
// SIDE=floor loads the bare Fastify + undici proxy (floor-proxy.ts) instead, for the same figures side by side.
const floor = process.env.SIDE === 'floor' ? await startFloorProxy(mock.origin, API_KEY) : undefined;
const side = process.env.SIDE === 'direct'
  ? targets.direct
  : floor
    ? { ...nonStreamTargets(mock.origin, floor.url, API_KEY, agents).proxied, label: 'floor', serverCpuMs: () => floor.cpuMs() }
    : { ...targets.proxied, serverCpuMs: () => proxy.cpuMs() };
await runLoad(side, { concurrency, durationMs: 1000 });
const mockBefore = await mock.stats();
const sample = await runLoad(side, { concurrency, durationMs: seconds * 1000 });
const mockAfter = await mock.stats();
const perRequest = (cpuMs: number) => (cpuMs / Math.max(1, sample.requests)).toFixed(3);
process.stdout.write(
  `${side.label} ${kind} c=${concurrency}: ${sample.latencies.length} ok, ${sample.errors} errors${sample.firstError ? ` (${sample.firstError})` : ''}, ` +
    `${((sample.latencies.length * 1000) / sample.elapsedMs).toFixed(0)} req/s, p50 ${percentile(sample.latencies, 0.5).toFixed(3)} ms, p99 ${percentile(sample.latencies, 0.99).toFixed(3)} ms, ` +
    `first byte p50 ${percentile(sample.firstByte, 0.5).toFixed(3)} ms, ` +
    `CPU/request: proxycast ${perRequest(sample.serverCpuMs)} ms, load generator ${perRequest(sample.cpuMs)} ms; ` +
    `the mock saw ${mockAfter.requests - mockBefore.requests} requests on ${mockAfter.connections - mockBefore.connections} new connections\n`,
);
await proxy.stop();
await floor?.close();
await Promise.all([agents.direct.close(), agents.proxied.close()]);
await mock.stop();
if (nodeArgs.length > 0) process.stdout.write(`profile of the proxycast process in ${profileDir}\n`);
