/**
 * A client that stops reading an endless stream: the daemon must not buffer the upstream in memory. With the
 * client paused, the upstream (which writes only as fast as its socket drains) stalls after a bounded number of
 * bytes (socket buffers, not the whole stream), the daemon's memory stays flat, and when the client reads again
 * the bytes flow again. Then the client leaves and the upstream sees its socket closed.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { startFaultUpstream, type FaultRequest, type FaultUpstream } from './fault-upstream.js';
import { chatBody, responsesBody, startApiKeyDaemon, startOAuthDaemon, waitFor } from './fault-kit.js';

let upstream: FaultUpstream;
let apiDaemon: TestDaemon;
let oauthDaemon: TestDaemon;

beforeAll(async () => {
  upstream = await startFaultUpstream();
  apiDaemon = await startApiKeyDaemon(upstream.origin);
  oauthDaemon = await startOAuthDaemon(`${upstream.origin}/backend-api/codex`);
});
afterAll(async () => {
  await apiDaemon?.stop();
  await oauthDaemon?.stop();
  await upstream?.close();
});

/** Loopback socket buffers on both hops can hold a few MB each; an unthrottled proxy would pass hundreds of MB. */
const BOUND_BYTES = 48 * 1024 * 1024;
const MB = 1024 * 1024;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes the upstream wrote, once the count stops moving for `quietMs`. */
async function settledBytes(request: FaultRequest, quietMs = 300): Promise<number> {
  let last = -1;
  for (let round = 0; round < 20 && request.bytesWritten !== last; round += 1) {
    last = request.bytesWritten;
    await delay(quietMs);
  }
  return request.bytesWritten;
}

const memory = () => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
};

describe.each([
  ['API key, chat stream (bytes passed through)', () => apiDaemon, '/v1/chat/completions', chatBody('endless', 'slow', true)],
  ['OAuth, chat stream (events translated)', () => oauthDaemon, '/v1/chat/completions', chatBody('endless', 'slow', true)],
  ['OAuth, Responses stream (events re-encoded)', () => oauthDaemon, '/v1/responses', responsesBody('endless', 'slow', true)],
] as const)('a paused reader: %s', (_name, daemon, endpoint, body) => {
  it('throttles the upstream, keeps memory flat, resumes, and closes the upstream when the client leaves', async () => {
    global.gc?.();
    const memoryBefore = memory();
    const before = upstream.requests.length;
    const request = http.request(`${daemon().url}${endpoint}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      request.on('response', resolve);
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
    expect(response.statusCode).toBe(200);
    response.pause();
    // The OAuth daemon's first request also reads the model catalog (a GET): the call to watch is the POST.
    const postedCall = () => upstream.requests.slice(before).find((candidate) => candidate.method === 'POST');
    await waitFor(() => postedCall() !== undefined, 2_000, 'the upstream call');
    const call = postedCall()!;

    const stalledAt = await settledBytes(call);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt, `the upstream wrote ${(stalledAt / MB).toFixed(1)} MB to a paused client`).toBeLessThan(BOUND_BYTES);
    await delay(300);
    expect(call.bytesWritten, 'still stalled while the client is paused').toBe(stalledAt);
    expect(memory() - memoryBefore, 'the daemon did not buffer the stream').toBeLessThan(BOUND_BYTES);

    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    response.resume();
    await waitFor(() => call.bytesWritten > stalledAt + 8 * MB, 5_000, 'the upstream to be read again');
    expect(received).toBeGreaterThan(4 * MB);

    request.destroy();
    await waitFor(() => call.closedByPeer, 3_000, 'the upstream to see the client leave');
  });
});
