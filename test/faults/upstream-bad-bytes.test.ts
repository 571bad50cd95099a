/**
 * An upstream that answers, but with bytes that are not a good answer: SSE frames that are not JSON, a stream cut in
 * the middle of a frame, a chunked body cut before its last chunk, a 200 (or 502) HTML page, a 24 MB error body, a
 * 24 MB frame that never ends, and the honest huge cases (a 24 MB JSON completion, an 8 MB stream). Every path gets
 * an OpenAI-shaped error or an honest stream error (never half a frame, never an HTML page, never a 200 the client
 * cannot read), the huge honest answers arrive whole, and a good request right after succeeds.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import { DELTA_BYTES, HUGE_BYTES, HUGE_STREAM_DELTAS, startFaultUpstream, type FaultUpstream } from './fault-upstream.js';
import {
  VARIANTS,
  chatBody,
  expectHttpError,
  expectOpenAIErrorBody,
  expectOutcome,
  expectStillServing,
  httpError,
  post,
  startApiKeyDaemon,
  startOAuthDaemon,
  streamError,
  variantBody,
  variantText,
  type Outcome,
  type Variant,
} from './fault-kit.js';

vi.setConfig({ maxConcurrency: 100 });

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

const daemonFor = (variant: Variant) => (variant.path === 'api' ? apiDaemon : oauthDaemon);
const isApiJson = (variant: Variant) => variant.path === 'api' && !variant.stream;

const EXPECTED: Record<string, (variant: Variant) => Outcome> = {
  // Garbage frames are dropped on both paths; a stream made only of them ended before any output.
  garbage: (variant) => (isApiJson(variant) ? httpError(502, 'upstream_error') : httpError(502, 'stream_interrupted')),
  truncated: (variant) => (variant.stream ? streamError('stream_interrupted') : isApiJson(variant) ? httpError(502, 'upstream_error') : httpError(502, 'stream_interrupted')),
  'chunked-cut': (variant) => (variant.stream ? streamError('stream_interrupted') : isApiJson(variant) ? httpError(502, 'upstream_unavailable') : httpError(502, 'stream_interrupted')),
  'html-200': () => httpError(502, 'upstream_error'),
  'html-502': () => httpError(502, 'upstream_error'),
  'huge-error': () => httpError(502, 'upstream_error'),
  // 24 MB in one frame without an end: over the pass-through's frame limit, or one garbage frame for the decoder.
  'huge-line': (variant) => (isApiJson(variant) ? httpError(502, 'upstream_error') : httpError(502, 'stream_interrupted')),
};

const CASES = Object.keys(EXPECTED).flatMap((fault) => VARIANTS.map((variant) => ({ fault, ...variant })));

describe.concurrent('bad bytes from the upstream', () => {
  it.each(CASES)('$fault: $name', async ({ fault, ...variant }) => {
    const mark = `${fault}-${variant.path}-${variant.endpoint.length}-${variant.stream}`.replace(/[^A-Za-z0-9-]/g, '');
    const answer = await post(`${daemonFor(variant).url}${variant.endpoint}`, variantBody(variant, fault, mark));
    expectOutcome(variant, answer, EXPECTED[fault]!(variant), mark);
    expect(answer.text).not.toMatch(/<html|<!doctype/i);
    if (fault.startsWith('html')) expect(answer.text).toContain('HTML page');
    // A huge upstream body is never copied into the client's error.
    expect(answer.text.length).toBeLessThan(fault.startsWith('huge') && variant.stream && EXPECTED[fault]!(variant).kind === 'stream-error' ? 64 * 1024 : 2_000);
    await expectStillServing(daemonFor(variant).url, variant, `${mark}-after`);
  });
});

describe.concurrent('huge honest answers arrive whole', () => {
  it('a 24 MB JSON completion on the API-key path', async () => {
    const answer = await post(`${apiDaemon.url}/v1/chat/completions`, chatBody('huge-json', 'huge', false));
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toHaveLength(HUGE_BYTES);
    await expectStillServing(apiDaemon.url, VARIANTS[1]!, 'huge-json-after');
  });

  it('a JSON body where a stream was asked for is a 502 on both paths, not JSON bytes in an event stream', async () => {
    const viaApi = await post(`${apiDaemon.url}/v1/chat/completions`, chatBody('huge-json', 'huge', true));
    expectHttpError(viaApi, 502, 'upstream_error');
    expect(expectOpenAIErrorBody(viaApi.text).message).toContain('a JSON body instead of an event stream');
    const viaOAuth = await post(`${oauthDaemon.url}/v1/chat/completions`, chatBody('huge-json', 'huge', true));
    expectHttpError(viaOAuth, 502, 'stream_interrupted');
  });

  it.each(VARIANTS.filter((variant) => variant.stream))('an 8 MB stream: $name', async (variant) => {
    const answer = await post(`${daemonFor(variant).url}${variant.endpoint}`, variantBody(variant, 'huge-stream', 'big'));
    expect(answer.status).toBe(200);
    const text = variantText(variant, answer);
    expect(text.length).toBe(HUGE_STREAM_DELTAS * DELTA_BYTES);
    expect(text).toMatch(/^h+$/);
    await expectStillServing(daemonFor(variant).url, variant, 'huge-stream-after');
  });
});
