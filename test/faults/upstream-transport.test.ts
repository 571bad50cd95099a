/**
 * Upstream transport faults, on every path (API key and OAuth, chat and Responses, stream and JSON): refused,
 * reset or closed before the status line, silent before the headers, headers trickled in (slowloris), headers then
 * a reset or silence, a reset or silence mid-answer, and a body trickled in. Each gets the right OpenAI-shaped error
 * (or an honest SSE error after output began), the upstream timeouts fire, and a good request right after succeeds.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { startFaultUpstream, type FaultUpstream } from './fault-upstream.js';
import {
  FAST_TIMEOUTS,
  VARIANTS,
  answered,
  expectOutcome,
  expectStillServing,
  httpError,
  post,
  startApiKeyDaemon,
  startOAuthDaemon,
  streamError,
  variantBody,
  waitFor,
  type Outcome,
  type Variant,
} from './fault-kit.js';

vi.setConfig({ maxConcurrency: 100 });

let upstream: FaultUpstream;
let apiDaemon: TestDaemon;
let oauthDaemon: TestDaemon;

beforeAll(async () => {
  upstream = await startFaultUpstream();
  apiDaemon = await startApiKeyDaemon(upstream.origin, { extraConfig: FAST_TIMEOUTS });
  oauthDaemon = await startOAuthDaemon(`${upstream.origin}/backend-api/codex`, { extraConfig: FAST_TIMEOUTS });
});
afterAll(async () => {
  await apiDaemon?.stop();
  await oauthDaemon?.stop();
  await upstream?.close();
});

const daemonFor = (variant: Variant) => (variant.path === 'api' ? apiDaemon : oauthDaemon);
const isApiJson = (variant: Variant) => variant.path === 'api' && !variant.stream;

/** Per fault, what each variant's client must get. */
const EXPECTED: Record<string, (variant: Variant) => Outcome> = {
  'reset-before': () => httpError(502, 'upstream_unavailable'),
  'close-before': () => httpError(502, 'upstream_unavailable'),
  'stall-before': () => httpError(504, 'upstream_timeout'),
  'slow-headers': () => httpError(504, 'upstream_timeout'),
  // No byte of output yet: a plain HTTP error on every path, never a 200 stream holding only an error.
  'head-then-reset': (variant) => (isApiJson(variant) ? httpError(502, 'upstream_error') : httpError(502, 'stream_interrupted')),
  'head-then-stall': (variant) => (isApiJson(variant) ? httpError(504, 'upstream_timeout') : httpError(502, 'stream_interrupted')),
  // Output had begun: streams end with an SSE error event; a JSON answer cut short is never passed on as a 200.
  'reset-mid': (variant) => (variant.stream ? streamError('stream_interrupted') : isApiJson(variant) ? httpError(502, 'upstream_error') : httpError(502, 'stream_interrupted')),
  'stall-mid': (variant) => (variant.stream ? streamError('stream_interrupted') : isApiJson(variant) ? httpError(504, 'upstream_timeout') : httpError(502, 'stream_interrupted')),
  'slow-body': () => answered,
};

describe('a refused connection', () => {
  it.each(VARIANTS)('$name: 502 upstream_unavailable, and serving again once the upstream is back', async (variant) => {
    await upstream.refuse();
    try {
      const answer = await post(`${daemonFor(variant).url}${variant.endpoint}`, variantBody(variant, 'ok', 'refused'));
      expectOutcome(variant, answer, httpError(502, 'upstream_unavailable'), 'refused');
      expect(answer.text).toContain('ECONNREFUSED');
    } finally {
      await upstream.listen();
    }
    await expectStillServing(daemonFor(variant).url, variant, 'back');
  });
});

const CASES = Object.keys(EXPECTED).flatMap((fault) => VARIANTS.map((variant) => ({ fault, ...variant })));

// Every case waits on its own connection, so they run side by side: the stalls cost one timeout, not seventy.
describe.concurrent('upstream faults', () => {
  it.each(CASES)('$fault: $name', async ({ fault, ...variant }) => {
    const mark = `${fault}-${variant.path}-${variant.endpoint.length}-${variant.stream}`.replace(/[^A-Za-z0-9-]/g, '');
    const started = Date.now();
    const answer = await post(`${daemonFor(variant).url}${variant.endpoint}`, variantBody(variant, fault, mark));
    expectOutcome(variant, answer, EXPECTED[fault]!(variant), mark);
    // The small upstream timeouts fire (undici's timers tick about once a second), nothing waits for the defaults.
    expect(Date.now() - started).toBeLessThan(5_000);
    await expectStillServing(daemonFor(variant).url, variant, `${mark}-after`);
  });
});

describe('what the upstream saw', () => {
  it('every stalled connection was closed by the daemon, and none is left open', async () => {
    const stalled = upstream.requests.filter((request) => ['stall-before', 'head-then-stall', 'stall-mid', 'slow-headers'].includes(request.fault));
    expect(stalled).toHaveLength(4 * VARIANTS.length);
    for (const request of stalled) expect(request.closedByPeer, `${request.fault} ${request.path}`).toBe(true);
    // A connection undici opened for a request another pooled socket took sits idle until its keep-alive timeout.
    await waitFor(() => upstream.openConnections().length === 0, 3_000, 'idle upstream connections to close').catch(() => undefined);
    expect(upstream.openConnections()).toEqual([]);
  });
});
