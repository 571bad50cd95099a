/**
 * Proxied load only, for profiling proxycast's hot path without the direct half in the profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile-target.js nonstream|stream [seconds=5] [concurrency=16]
 *   node dist/bench/profile-summary.js /tmp/prof/<file>.cpuprofile
 * Prints requests/s and this process's CPU per request (load generator + proxycast, both in this process).
 */
import { createClientAgent, percentile, runLoad } from './load.js';
import { nonStreamTargets, streamTargets } from './requests.js';
import { ACCOUNT_ID, API_KEY, makeBenchHome, removeHome, startInProcessProxy, startMockUpstream } from './setup.js';

const [kind = 'nonstream', secondsArg = '5', concurrencyArg = '16', eventsArg = '40'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);

const mock = await startMockUpstream();
const { home, configFile, accessToken } = makeBenchHome(mock.origin, { apiKey: kind === 'nonstream', oauth: kind !== 'nonstream' });
const proxy = await startInProcessProxy(home, configFile, process.env.LOG_LEVEL ?? 'warn');
const agents = { direct: createClientAgent(), proxied: createClientAgent() };
const targets = kind === 'nonstream'
  ? nonStreamTargets(mock.origin, proxy.url, API_KEY, agents)
  : streamTargets(mock.origin, proxy.url, { accessToken, accountId: ACCOUNT_ID }, { events: Number(eventsArg), splitMs: Number(process.env.SPLIT_MS ?? 0), gapMs: Number(process.env.GAP_MS ?? 0) }, agents);
const side = process.env.SIDE === 'direct' ? targets.direct : targets.proxied;
await runLoad(side, { concurrency, durationMs: 1000 });
const mockBefore = await mock.stats();
const cpuBefore = process.cpuUsage();
const sample = await runLoad(side, { concurrency, durationMs: seconds * 1000 });
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
const mockAfter = await mock.stats();
process.stdout.write(
  `${side.label} ${kind} c=${concurrency}: ${sample.latencies.length} ok, ${sample.errors} errors${sample.firstError ? ` (${sample.firstError})` : ''}, ` +
    `${((sample.latencies.length * 1000) / sample.elapsedMs).toFixed(0)} req/s, p50 ${percentile(sample.latencies, 0.5).toFixed(3)} ms, p99 ${percentile(sample.latencies, 0.99).toFixed(3)} ms, ` +
    `first byte p50 ${percentile(sample.firstByte, 0.5).toFixed(3)} ms, ` +
    `${(cpuMs / Math.max(1, sample.requests)).toFixed(3)} ms CPU/request in this process; ` +
    `the mock saw ${mockAfter.requests - mockBefore.requests} requests on ${mockAfter.connections - mockBefore.connections} new connections\n`,
);
await proxy.close();
await Promise.all([agents.direct.close(), agents.proxied.close()]);
await mock.stop();
removeHome(home);
