import { describe, expect, it } from 'vitest';
import { createChatChunkSerializer } from '../../src/translate/chat-chunk-json.js';
import { createChatChunkTranslator } from '../../src/translate/responses-to-chat.js';
import { parseResponsesEvent } from '../../src/wire/responses.js';
import type { ChatChunk } from '../../src/wire/chat.js';

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk' as const, created: 1_764_000_000, model: 'gpt-5.4' };

const chunks: ChatChunk[] = [
  { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { content: 'Hello, "world" \\ \n\u2028 \u0000 😀' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { reasoning_content: 'thinking…' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { content: '' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }, finish_reason: null }] },
  { ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 }, completion_tokens_details: { reasoning_tokens: 0 } } },
  { ...base, id: 'chatcmpl-"2"', model: 'odd\nmodel', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] },
  { ...base, choices: [{ index: 1, delta: { content: 'second choice' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { content: 'x', refusal: 'no' }, finish_reason: null }] },
];

describe('createChatChunkSerializer', () => {
  it('gives exactly the JSON.stringify text for every chunk shape, in any order', () => {
    const serialize = createChatChunkSerializer();
    for (const chunk of [...chunks, ...chunks.slice().reverse()]) expect(serialize(chunk)).toBe(JSON.stringify(chunk));
  });

  it('matches JSON.stringify over a translated stream', () => {
    const translator = createChatChunkTranslator({ model: 'gpt-5.4', completionId: 'chatcmpl-x', created: 1_764_000_000, includeUsage: true });
    const events = [
      { type: 'response.created', response: { id: 'resp_1' } },
      { type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', id: 'rs_1' } },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, delta: 'plan' },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, delta: 'Hi' },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, delta: ' there' },
      { type: 'response.completed', response: { id: 'resp_1', usage: { input_tokens: 5, output_tokens: 2 } } },
    ];
    const serialize = createChatChunkSerializer();
    const produced = [...events.flatMap((event) => translator.push(parseResponsesEvent(event))), ...translator.finish()];
    expect(produced.length).toBeGreaterThan(4);
    for (const chunk of produced) expect(serialize(chunk)).toBe(JSON.stringify(chunk));
  });
});
