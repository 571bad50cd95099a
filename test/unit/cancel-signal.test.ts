import { describe, expect, it } from 'vitest';
import { ClientAbort } from '../../src/upstream/cancel-signal.js';

describe('ClientAbort', () => {
  it('calls each listener once on abort, with the reason set first, and not those removed', () => {
    const signal = new ClientAbort();
    const calls: string[] = [];
    const first = () => calls.push(`first:${(signal.reason as Error).message}`);
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', first);
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    expect(signal.aborted).toBe(false);
    signal.abort(new Error('client disconnected'));
    signal.abort(new Error('again'));
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(['first:client disconnected']);
  });

  it('never calls a listener added after the abort, as AbortSignal does not', () => {
    const signal = new ClientAbort();
    signal.abort(new Error('gone'));
    let called = false;
    signal.addEventListener('abort', () => {
      called = true;
    });
    expect(called).toBe(false);
    expect((signal.reason as Error).message).toBe('gone');
  });
});
