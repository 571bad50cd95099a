/**
 * The API-key pass-through cuts its output at frame ends only, wherever the upstream's chunks split: every split
 * of a stream (LF and CRLF frames, multi-byte UTF-8, a usage chunk) comes out byte for byte, each piece ending a
 * frame; a stream cut inside a frame yields its whole frames and then fails, so the client's error event never
 * runs into half a frame.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import type { TokenUsage } from '../../src/metrics/usage.js';
import { passThroughSse } from '../../src/proxy/passthrough-stream.js';
import type { UpstreamResponse } from '../../src/upstream/forward.js';

const chunk = (delta: Record<string, unknown>) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] });
const STREAM = [
  `data: ${chunk({ role: 'assistant', content: '' })}\n\n`,
  `data: ${chunk({ content: 'héllo wörld ✓ 🎉' })}\r\n\r\n`,
  ': keep-alive comment\n\n',
  `data: ${chunk({ content: ' and more' })}\n\n`,
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } })}\n\n`,
  'data: [DONE]\n\n',
].join('');
const BYTES = Buffer.from(STREAM, 'utf8');

function responseOf(pieces: Buffer[]): UpstreamResponse {
  return { status: 200, headers: {}, body: Readable.from(pieces) as unknown as UpstreamResponse['body'] };
}

async function run(pieces: Buffer[]): Promise<{ out: Buffer[]; usage: TokenUsage[]; error?: unknown }> {
  const out: Buffer[] = [];
  const usage: TokenUsage[] = [];
  try {
    for await (const piece of passThroughSse('key-1', responseOf(pieces), (seen) => usage.push(seen))) out.push(Buffer.from(piece));
  } catch (error) {
    return { out, usage, error };
  }
  return { out, usage };
}

const endsAFrame = (piece: Buffer) => /(\n\n|\r\n\r\n)$/.test(piece.toString('latin1'));

describe('the pass-through cuts at frame ends only', () => {
  it('every two-way split of the stream comes out byte for byte, each piece a run of whole frames, usage read once', async () => {
    for (let at = 1; at < BYTES.length; at += 1) {
      const { out, usage, error } = await run([BYTES.subarray(0, at), BYTES.subarray(at)]);
      expect(error, `split at ${at}`).toBeUndefined();
      expect(Buffer.concat(out).equals(BYTES), `split at ${at}`).toBe(true);
      for (const piece of out) expect(endsAFrame(piece), `split at ${at}: ${piece.toString('utf8').slice(-30)}`).toBe(true);
      expect(usage, `split at ${at}`).toEqual([{ input: 11, output: 7, cached: 0, reasoning: 0 }]);
    }
  });

  it('one byte at a time', async () => {
    const { out, error } = await run([...BYTES].map((byte) => Buffer.from([byte])));
    expect(error).toBeUndefined();
    expect(Buffer.concat(out).equals(BYTES)).toBe(true);
    for (const piece of out) expect(endsAFrame(piece)).toBe(true);
  });

  it('a stream cut inside a frame yields only its whole frames, then fails with stream_interrupted', async () => {
    const frameEnds = [...STREAM.matchAll(/\n\n|\r\n\r\n/g)].map((match) => Buffer.byteLength(STREAM.slice(0, match.index + match[0].length)));
    for (let cut = 1; cut < BYTES.length - 'data: [DONE]\n\n'.length; cut += 7) {
      const { out, error } = await run([BYTES.subarray(0, cut)]);
      expect(error).toBeInstanceOf(ProxyError);
      expect((error as ProxyError).code).toBe('stream_interrupted');
      const whole = Math.max(0, ...frameEnds.filter((end) => end <= cut));
      expect(Buffer.concat(out).equals(BYTES.subarray(0, whole)), `cut at ${cut}`).toBe(true);
    }
  });
});
