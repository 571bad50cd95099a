import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

describe('parseResponsesEvent fast path for framing events', () => {
  /** Every fixture event, and each with one field (at any depth) replaced by a value of another type or removed. */
  function fixturePayloads(): unknown[] {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'responses');
    const events = fs.readdirSync(dir).filter((name) => name.endsWith('.jsonl')).flatMap((name) =>
      fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown));
    const replacements: unknown[] = [undefined, null, 7, 'text', {}, [], [{}], [{ type: 3 }]];
    const out: unknown[] = [];
    const mutate = (root: unknown, node: unknown, depth: number) => {
      if (!node || typeof node !== 'object' || depth > 4) return;
      for (const key of Object.keys(node)) {
        const original = (node as Record<string, unknown>)[key];
        for (const replacement of replacements) {
          if (replacement === undefined && Array.isArray(node)) continue; // JSON.parse never makes an array with a hole
          if (replacement === undefined) delete (node as Record<string, unknown>)[key];
          else (node as Record<string, unknown>)[key] = replacement;
          out.push(structuredClone(root));
        }
        (node as Record<string, unknown>)[key] = original;
        mutate(root, original, depth + 1);
      }
    };
    for (const event of events) {
      out.push(event);
      mutate(event, event, 0);
    }
    return out;
  }

  it('agrees with the zod schemas on every fixture event and thousands of one-field mutations of them', () => {
    const payloads = fixturePayloads();
    let accepted = 0;
    for (const payload of payloads) {
      const viaZod = knownEventSchema.safeParse(payload);
      const event = parseResponsesEvent(payload);
      if (viaZod.success) {
        accepted += 1;
        expect(event, JSON.stringify(payload)).toEqual(viaZod.data);
      } else if (typeof (payload as { type?: unknown }).type === 'string') {
        expect(event.type, JSON.stringify(payload)).toBe('proxycast.unrecognized');
      }
    }
    expect(payloads.length).toBeGreaterThan(2_000);
    expect(accepted).toBeGreaterThan(500);
  });
});
