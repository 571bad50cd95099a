/**
 * Memory of a proxycast child process (its RSS is its own): idle after start, with 200 concurrent open streams
 * (the slow scenario: a delta every 50 ms holds each stream open for about 5 s), and across 20,000 requests
 * (half streamed, half not, over both credentials: API key and OAuth), sampled every 5,000 requests.
 */
import { request } from 'undici';
import { chatBody } from './requests.js';
import { createClientAgent, percentile, runLoad, type Target } from './load.js';
import { freePort, makeBenchHome, removeHome, startChildProxy, type ChildProxy } from './setup.js';

export interface MemoryResult {
  logLevel: string;
  idleRssBytes: number;
  /** What the idle RSS holds: live JS heap after a full GC, the heap V8 reserved, and external (Buffer) memory. */
  idleHeapAfterGc: { heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
  openStreams: number;
  /** How many of them were open at once when RSS was read (should be all). */
  openStreamsHeld: number;
  openStreamsRssBytes: number;
  openStreamsFirstByteP50Ms: number;
  openStreamsErrors: number;
  /** RSS after every 1,000 requests. */
  rssByRequests: Array<{ requests: number; rssBytes: number }>;
  /** Live heap after a full GC (heapUsed), after 5,000 and after 20,000 requests, and its growth between them. */
  heapAfterGcAt5kBytes: number;
  heapAfterGcAt20kBytes: number;
  heapGrowthBytes: number;
  /**
   * RSS growth from the 5,000th to the 20,000th request (the first 5,000 warm up JIT, pools and caches), read off a
   * least-squares line through the samples so one GC's ups and downs are not taken for growth.
   */
  growthBytes: number;
  loadRequests: number;
  loadErrors: number;
  loadFirstError?: string | undefined;
  afterLoadIdleRssBytes: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Conversations spread over both credentials (an odd count, so each one sees streamed and non-stream turns). */
const CONVERSATIONS = 51;

async function maxRss(proxy: ChildProxy, samples: number, everyMs: number): Promise<number> {
  let max = 0;
  for (let index = 0; index < samples; index += 1) {
    max = Math.max(max, proxy.rss());
    if (index < samples - 1) await sleep(everyMs);
  }
  return max;
}

/** The growth a least-squares line through the samples predicts between `from` and `to` requests. */
function fittedGrowth(samples: ReadonlyArray<{ requests: number; rssBytes: number }>, from: number, to: number): number {
  if (samples.length < 2) return Number.NaN;
  const meanX = samples.reduce((sum, entry) => sum + entry.requests, 0) / samples.length;
  const meanY = samples.reduce((sum, entry) => sum + entry.rssBytes, 0) / samples.length;
  let numerator = 0;
  let denominator = 0;
  for (const entry of samples) {
    numerator += (entry.requests - meanX) * (entry.rssBytes - meanY);
    denominator += (entry.requests - meanX) ** 2;
  }
  return (numerator / denominator) * (to - from);
}

/** Opens `count` slow streams at once; RSS is read once every one of them has its first byte (or failed). */
async function holdOpenStreams(proxy: ChildProxy, count: number): Promise<{ rss: number; stillOpen: number; firstByteP50: number; errors: number }> {
  const agent = createClientAgent(count + 8);
  const firstBytes: number[] = [];
  let settled = 0; // streams that have their first byte, or failed before it
  let open = 0; // streams with a first byte and no end yet
  let errors = 0;
  let release: () => void = () => undefined;
  const allSettled = new Promise<void>((resolve) => (release = resolve));
  const settle = () => {
    settled += 1;
    if (settled === count) release();
  };
  const one = async (index: number) => {
    const started = performance.now();
    let gotFirstByte = false;
    try {
      const response = await request(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer local-client' },
        body: chatBody({ stream: true, events: 108, gapMs: 50, conversation: index % CONVERSATIONS }),
        dispatcher: agent,
      });
      let tail = '';
      for await (const chunk of response.body) {
        if (!gotFirstByte) {
          gotFirstByte = true;
          firstBytes.push(performance.now() - started);
          open += 1;
          settle();
        }
        tail = (tail + (chunk as Buffer).toString('latin1')).slice(-64);
      }
      if (response.statusCode !== 200 || !tail.includes('[DONE]')) errors += 1;
    } catch {
      errors += 1;
    } finally {
      if (gotFirstByte) open -= 1;
      else settle();
    }
  };
  const all = Promise.all(Array.from({ length: count }, (_, index) => one(index)));
  await allSettled;
  const stillOpen = open;
  const rss = await maxRss(proxy, 5, 200);
  await all;
  await agent.close();
  return { rss, stillOpen, firstByteP50: percentile(firstBytes, 0.5), errors };
}

/** The memory part: its own proxycast process with both credentials, logging at `logLevel` to a file. */
export async function benchMemory(mockOrigin: string, logLevel: string): Promise<MemoryResult> {
  const port = await freePort();
  const { home, configFile } = makeBenchHome(mockOrigin, { apiKey: true, oauth: true, port });
  const proxy = await startChildProxy(home, configFile, port, logLevel);
  try {
    await sleep(1500);
    const idle = await maxRss(proxy, 5, 100);
    const idleHeap = await proxy.heapAfterGc();
    const streams = await holdOpenStreams(proxy, 200);
    const agent = createClientAgent(64);
    const target: Target = {
      label: 'proxied (memory)',
      url: `${proxy.url}/v1/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: 'Bearer local-client' },
      body: (index) => chatBody({ stream: index % 2 === 0, events: 40, conversation: index % CONVERSATIONS }),
      expect: ['[DONE]', 'total_tokens'],
      dispatcher: agent,
    };
    const rssByRequests: MemoryResult['rssByRequests'] = [];
    const onProgress = (offset: number) => (done: number) => {
      if ((done + offset) % 1_000 === 0) rssByRequests.push({ requests: done + offset, rssBytes: proxy.rss() });
    };
    // 5,000 requests, a full GC and a reading of the live heap, then 15,000 more and another reading.
    const first = await runLoad(target, { concurrency: 32, durationMs: 120_000, maxRequests: 5_000, onProgress: onProgress(0) });
    const heapAt5k = (await proxy.heapAfterGc()).heapUsed;
    const rest = await runLoad(target, { concurrency: 32, durationMs: 180_000, maxRequests: 15_000, onProgress: onProgress(5_000) });
    const heapAt20k = (await proxy.heapAfterGc()).heapUsed;
    const sample = { requests: first.requests + rest.requests, errors: first.errors + rest.errors, firstError: first.firstError ?? rest.firstError };
    await agent.close();
    await sleep(1000);
    const afterLoad = await maxRss(proxy, 3, 100);
    const steady = rssByRequests.filter((entry) => entry.requests >= 5_000);
    return {
      logLevel,
      idleRssBytes: idle,
      idleHeapAfterGc: { heapUsedBytes: idleHeap.heapUsed, heapTotalBytes: idleHeap.heapTotal, externalBytes: idleHeap.external },
      openStreams: 200,
      openStreamsHeld: streams.stillOpen,
      openStreamsRssBytes: streams.rss,
      openStreamsFirstByteP50Ms: streams.firstByteP50,
      openStreamsErrors: streams.errors,
      rssByRequests,
      growthBytes: fittedGrowth(steady, 5_000, 20_000),
      heapAfterGcAt5kBytes: heapAt5k,
      heapAfterGcAt20kBytes: heapAt20k,
      heapGrowthBytes: heapAt20k - heapAt5k,
      loadRequests: sample.requests,
      loadErrors: sample.errors,
      ...(sample.firstError ? { loadFirstError: sample.firstError } : {}),
      afterLoadIdleRssBytes: afterLoad,
    };
  } finally {
    await proxy.stop();
    removeHome(home);
  }
}
