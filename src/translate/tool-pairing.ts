/**
 * Tool-call pairing for both request translators: the backend answers 400 to any call without a result and any
 * result without a call (codex-protocol.md 5.4). Our choices:
 * - a result naming a call id that no earlier call made is REFUSED (400 at its `tool_call_id` / `call_id`): we cannot
 *   tell what it answers, and guessing would feed the model a wrong result;
 * - a Chat tool message without an id answers the first waiting call of the latest turn (clients that drop ids send
 *   the results in call order); the Chat translator warns about it;
 * - a call that never got a result (typically a run the user interrupted) gets a synthetic result
 *   MISSING_TOOL_RESULT_TEXT after its block of calls and results, see insertMissingToolOutputs; refusing would make
 *   the whole conversation unusable, and the text tells the model plainly that no result exists.
 */
import { createHash } from 'node:crypto';
import { ProxyError } from '../errors.js';
import type { ResponsesInputItem } from '../wire/responses.js';

/** The text a synthetic tool result carries when the history has a call without a result. */
export const MISSING_TOOL_RESULT_TEXT = '(no result was recorded)';

/** One assistant tool call of a Chat history: the client's id, the unique id sent upstream, and whether it has a result. */
export interface RecordedToolCall { clientId: string; callId: string; messageIndex: number; answered: boolean }

/** The tool calls a Chat history has made so far, and the upstream call ids already taken. */
export interface ToolCallLedger { calls: RecordedToolCall[]; usedIds: Set<string> }

function stableCallId(messageIndex: number, callIndex: number, name: string): string {
  return `call_${createHash('sha256').update(`${messageIndex}:${callIndex}:${name}`).digest('hex').slice(0, 24)}`;
}

/** Records an assistant tool call; returns its upstream call id: the client's id made unique, else a stable hash. */
export function recordToolCall(ledger: ToolCallLedger, clientId: string, messageIndex: number, callIndex: number, name: string): string {
  let callId = clientId || stableCallId(messageIndex, callIndex, name);
  // Some clients reuse ids such as "call_0" in every turn; each upstream call id must be unique.
  for (let n = 2; ledger.usedIds.has(callId); n += 1) callId = `${clientId || 'call'}_${n}`;
  ledger.usedIds.add(callId);
  ledger.calls.push({ clientId, callId, messageIndex, answered: false });
  return callId;
}

/** The call a tool message answers: the first waiting call with its id in the latest turn that has one. */
function findWaitingCall(calls: RecordedToolCall[], clientId: string): RecordedToolCall | undefined {
  const waiting = calls.filter((call) => !call.answered && (clientId === '' || call.clientId === clientId));
  const latestTurn = waiting.at(-1)?.messageIndex;
  return waiting.find((call) => call.messageIndex === latestTurn);
}

/** Marks and returns the call a Chat tool message answers (`clientId` '' when it has none); 400 at `param` when none waits. */
export function claimToolCall(calls: RecordedToolCall[], clientId: string, param: string): RecordedToolCall {
  const call = findWaitingCall(calls, clientId);
  if (!call) {
    if (clientId === '') {
      throw ProxyError.invalidRequest('This tool message has no tool_call_id and no assistant tool call is waiting for a result.', param);
    }
    const known = calls.some((recorded) => recorded.clientId === clientId);
    const why = known ? 'already has a result earlier in the conversation' : 'matches no tool call of an earlier assistant message';
    throw ProxyError.invalidRequest(`The tool_call_id '${clientId}' ${why}; every tool message must answer one assistant tool call.`, param);
  }
  call.answered = true;
  return call;
}

/** Refuses a function_call_output whose call_id no earlier function_call made, and a call without a call_id. */
export function checkToolPairing(items: ResponsesInputItem[]): void {
  const calls = new Set<string>();
  items.forEach((item, index) => {
    const rawCallId = (item as Record<string, unknown>).call_id;
    const callId = typeof rawCallId === 'string' ? rawCallId : '';
    if (item.type === 'function_call') {
      if (!callId) throw ProxyError.invalidRequest('A function_call item needs a non-empty call_id.', `input[${index}].call_id`);
      calls.add(callId);
    } else if (item.type === 'function_call_output' && !calls.has(callId)) {
      const why = `The function_call_output call_id '${callId}' matches no earlier function_call item.`;
      throw ProxyError.invalidRequest(why, `input[${index}].call_id`);
    }
  });
}

function isCallItem(item: ResponsesInputItem | undefined): boolean {
  return item?.type === 'function_call' || item?.type === 'function_call_output';
}

/** Adds a synthetic result after each block of calls and results for every call that has no result anywhere. */
export function insertMissingToolOutputs(items: ResponsesInputItem[]): { input: ResponsesInputItem[]; repairedCallIds: string[] } {
  const answered = new Set(items.flatMap((item) => (item.type === 'function_call_output' && typeof item.call_id === 'string' ? [item.call_id] : [])));
  const input: ResponsesInputItem[] = [];
  const repairedCallIds: string[] = [];
  let waiting: string[] = [];
  items.forEach((item, index) => {
    input.push(item);
    if (item.type === 'function_call' && typeof item.call_id === 'string' && !answered.has(item.call_id)) waiting.push(item.call_id);
    if (isCallItem(item) && !isCallItem(items[index + 1])) {
      for (const callId of waiting) input.push({ type: 'function_call_output', call_id: callId, output: MISSING_TOOL_RESULT_TEXT });
      repairedCallIds.push(...waiting);
      waiting = [];
    }
  });
  return { input, repairedCallIds };
}
