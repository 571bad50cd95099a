import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCodexEvents } from '../../src/proxy/codex-events.js';
import { isKnownEventType } from '../../src/wire/responses.js';
import { chunkSourceOf, type ChunkSource } from '../../src/upstream/stream-source.js';

const frame = (type: string, data: string) => `event: ${type}\ndata: ${data}\n\n`;

/** A body with a known event, a frame of a type nobody reads (whose JSON is broken past its type), and another known event. */
function body(): ChunkSource {
  const text = [
    frame('response.created', JSON.stringify({ type: 'response.created', response: { id: 'resp_1' } })),
    frame('response.output_text.done', '{"type":"response.output_text.done", this is not JSON'),
    frame('response.content_part.added', '{"type":"response.output_text.delta","delta":"type differs from the event line","item_id":"m"}'),
    frame('response.output_text.delta', JSON.stringify({ type: 'response.output_text.delta', item_id: 'm', output_index: 0, delta: 'hi' })),
  ].join('');
  return chunkSourceOf(Readable.from([Buffer.from(text)]));
}

async function readAll(options: { skipType?: (type: string) => boolean }) {
  const reader = readCodexEvents('cred', body(), options);
  const types: string[] = [];
  for (let event = await reader.next(); event !== undefined; event = await reader.next()) types.push(event.type);
  return { types, garbage: reader.garbageFrames };
}

describe('readCodexEvents', () => {
  it('drops any type skipType names, known ones included', async () => {
    const reader = readCodexEvents('cred', body(), { skipType: (type) => type === 'response.created' });
    const types: string[] = [];
    for (let event = await reader.next(); event !== undefined; event = await reader.next()) types.push(event.type);
    expect(types).toEqual(['response.output_text.delta', 'response.output_text.delta']);
    expect(reader.garbageFrames).toBe(1);
  });

  it('parses every frame by default: the broken one is garbage, the others events', async () => {
    expect(await readAll({})).toEqual({ types: ['response.created', 'response.output_text.delta', 'response.output_text.delta'], garbage: 1 });
  });

  it('drops frames of a type skipType names unparsed, but not one whose JSON names another type', async () => {
    expect(await readAll({ skipType: (type) => !isKnownEventType(type) })).toEqual({ types: ['response.created', 'response.output_text.delta', 'response.output_text.delta'], garbage: 0 });
  });
});
