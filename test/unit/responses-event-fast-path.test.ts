import { describe, expect, it } from 'vitest';
import { knownEventSchema, parseResponsesEvent } from '../../src/wire/responses.js';

/** Delta-shaped payloads, good and bad: the hand check must accept exactly what the zod schemas accept. */
const payloads: unknown[] = [];
for (const type of ['response.output_text.delta', 'response.refusal.delta', 'response.function_call_arguments.delta', 'response.reasoning_summary_text.delta']) {
  for (const delta of ['text', '', 7, null, undefined, { a: 1 }]) {
    for (const itemId of ['msg_1', null, undefined, 3]) {
      for (const outputIndex of [0, null, undefined, '0']) {
        for (const summaryIndex of [0, null, undefined, 'x']) {
          const payload: Record<string, unknown> = { type, sequence_number: 4, extra: { kept: true } };
          if (delta !== undefined) payload.delta = delta;
          if (itemId !== undefined) payload.item_id = itemId;
          if (outputIndex !== undefined) payload.output_index = outputIndex;
          if (summaryIndex !== undefined) payload.summary_index = summaryIndex;
          payloads.push(payload);
        }
      }
    }
  }
}

describe('parseResponsesEvent fast path for delta events', () => {
  it(`agrees with the zod schemas on ${payloads.length} delta-shaped payloads`, () => {
    let accepted = 0;
    for (const payload of payloads) {
      const viaZod = knownEventSchema.safeParse(payload);
      const event = parseResponsesEvent(payload);
      if (viaZod.success) {
        accepted += 1;
        expect(event, JSON.stringify(payload)).toEqual(viaZod.data);
      } else {
        expect(event.type, JSON.stringify(payload)).toBe('proxycast.unrecognized');
      }
    }
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(payloads.length);
  });

  it('still takes the type from the SSE event line when the JSON has none', () => {
    expect(parseResponsesEvent({ delta: 'hi', item_id: 'm' }, 'response.output_text.delta')).toMatchObject({ type: 'response.output_text.delta', delta: 'hi' });
  });
});

describe('parseResponsesEvent for types no schema reads', () => {
  it('marks them unrecognized, as the zod union does, keeping the payload', () => {
    for (const type of ['response.output_text.done', 'response.content_part.added', 'response.something_new']) {
      const payload = { type, item_id: 'msg_1', text: 'whole' };
      expect(knownEventSchema.safeParse(payload).success).toBe(false);
      expect(parseResponsesEvent(payload)).toEqual({ type: 'proxycast.unrecognized', eventType: type, payload });
    }
  });
});
