import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  decodeResponsesEvents,
  decodeSseEvents,
  decodeSseLines,
  decodeSseMessages,
  type SseFrame,
} from '../../src/upstream/sse-decoder.js';
import { encodeSse, readResponsesFixture } from '../helpers/mock-codex.js';

const fixtureNames = fs
  .readdirSync(fileURLToPath(new URL('../fixtures/responses/', import.meta.url)))
  .filter((file) => file.endsWith('.jsonl'))
  .map((file) => file.slice(0, -'.jsonl'.length));

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

function expectedFrames(events: Array<Record<string, unknown>>): SseFrame[] {
  return events.map((event) => ({ event: String(event.type), data: JSON.stringify(event) }));
}

describe('SSE decoder on every fixture', () => {
  it('has fixtures to test', () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(13);
  });

  for (const name of fixtureNames) {
    const events = readResponsesFixture(name);
    const expected = expectedFrames(events);

    it(`${name}: whole body, every two-way split (LF and CRLF) and 1-byte chunks give the same frames`, async () => {
      for (const lineEnding of ['\n', '\r\n']) {
        const bytes = bytesOf(encodeSse(events, lineEnding));
        expect(await collect(decodeSseEvents(chunked(bytes, [])))).toEqual(expected);
        for (let offset = 1; offset < bytes.length; offset += 1) {
          const frames = await collect(decodeSseEvents(chunked(bytes, [offset])));
          if (!isDeepStrictEqual(frames, expected)) {
            expect.fail(`${name} (${JSON.stringify(lineEnding)}) split at byte ${offset} decoded differently`);
          }
        }
      }
    });

    it(`${name}: CR-only line endings in 1-byte chunks, and parsed events match the fixture`, async () => {
      const bytes = bytesOf(encodeSse(events, '\r'));
      const oneByte = Array.from({ length: bytes.length - 1 }, (_, index) => index + 1);
      expect(await collect(decodeSseEvents(chunked(bytes, oneByte)))).toEqual(expected);
      const messages = await collect(decodeSseMessages(chunked(bytes, oneByte)));
      expect(messages.map((message) => (message.kind === 'json' ? message.value : message))).toEqual(events);
    });
  }
});

describe('SSE framing rules', () => {
  const frames = async (text: string, cuts: number[] = []) => collect(decodeSseEvents(chunked(bytesOf(text), cuts)));

  it('joins multi-line data with \\n, keeps id, drops comments and unknown fields', async () => {
    const text = ': keep-alive\nretry: 100\nfoo: bar\nid: 7\nevent: custom\ndata: one\ndata:two\ndata:  three\n\n';
    expect(await frames(text)).toEqual([{ event: 'custom', id: '7', data: 'one\ntwo\n three' }]);
  });

  it('ignores frames without data and does not carry event names into the next frame', async () => {
    expect(await frames('event: lonely\n\ndata: {"a":1}\n\n')).toEqual([{ data: '{"a":1}' }]);
  });

  it('treats a field line without a colon as a field with an empty value', async () => {
    expect(await frames('data\n\n')).toEqual([{ data: '' }]);
  });

  it('dispatches a last frame that is not followed by a blank line', async () => {
    expect(await frames('data: {"a":1}\n\ndata: {"b":2}')).toEqual([{ data: '{"a":1}' }, { data: '{"b":2}' }]);
  });

  it('treats \\r\\n split between chunks as one line break, not two', async () => {
    const text = 'data: a\r\n\r\ndata: b\r\n\r\n';
    expect(await frames(text, [8])).toEqual([{ data: 'a' }, { data: 'b' }]);
    expect(await frames(text, [7, 8, 9, 10])).toEqual([{ data: 'a' }, { data: 'b' }]);
  });

  it('strips a UTF-8 byte order mark at the start', async () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytesOf('data: x\n\n')]);
    expect(await collect(decodeSseEvents(chunked(withBom, [1, 2])))).toEqual([{ data: 'x' }]);
  });

  it('keeps a 4-byte character whole when every byte arrives alone', async () => {
    const bytes = bytesOf('data: 👋é\n\n');
    const cuts = Array.from({ length: bytes.length - 1 }, (_, index) => index + 1);
    expect(await collect(decodeSseLines(chunked(bytes, cuts)))).toEqual(['data: 👋é', '']);
  });
});

describe('SSE data parsing', () => {
  it('marks non-JSON data as garbage and [DONE] as done, without throwing', async () => {
    const text = 'data: {"type":"response.created","response":{}}\n\ndata: not json\n\ndata: [DONE]\n\n';
    const messages = await collect(decodeSseMessages(chunked(bytesOf(text), [])));
    expect(messages.map((message) => message.kind)).toEqual(['json', 'garbage', 'done']);
    expect(messages[1]).toMatchObject({ kind: 'garbage', data: 'not json' });
  });

  it('yields Responses events, unknown types as proxycast.unrecognized, and uses event: when the JSON has no type', async () => {
    const text =
      'event: response.output_text.delta\ndata: {"item_id":"m","output_index":0,"delta":"hi"}\n\n' +
      'data: {"type":"response.brand_new","x":1}\n\n' +
      'data: {oops\n\n';
    const items = await collect(decodeResponsesEvents(chunked(bytesOf(text), [])));
    expect(items[0]).toEqual({ kind: 'event', event: { type: 'response.output_text.delta', item_id: 'm', output_index: 0, delta: 'hi' } });
    expect(items[1]).toEqual({
      kind: 'event',
      event: { type: 'proxycast.unrecognized', eventType: 'response.brand_new', payload: { type: 'response.brand_new', x: 1 } },
    });
    expect(items[2]).toMatchObject({ kind: 'garbage', data: '{oops' });
  });
});

describe('an endless line', () => {
  it('is refused past MAX_SSE_LINE_CHARS instead of being buffered without bound', async () => {
    const { decodeSseLines, MAX_SSE_LINE_CHARS, SseLineTooLongError } = await import('../../src/upstream/sse-decoder.js');
    async function* endless() {
      const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
      for (let sent = 0; sent <= MAX_SSE_LINE_CHARS + chunk.length; sent += chunk.length) yield chunk;
    }
    await expect((async () => {
      for await (const _line of decodeSseLines(endless())) void _line;
    })()).rejects.toBeInstanceOf(SseLineTooLongError);
  });
});
