import { afterEach, describe, expect, it } from 'vitest';
import type { AccountBehaviour } from '../helpers/mock-codex.js';
import { answerText, startPool, type PoolRig } from './pool-kit.js';

let rig: PoolRig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** The data lines of an SSE body, and whether it ended cleanly. */
function sse(text: string): { content: string; done: boolean; error: boolean } {
  const datas = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
  const content = datas.filter((data) => data !== '[DONE]').map((data) => JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> }).map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('');
  return { content, done: datas.includes('[DONE]'), error: text.includes('event: error') };
}

// Round-robin starts at the first credential, so the first request of a fresh pool goes to a.
const beforeOutput: Array<[string, AccountBehaviour]> = [
  ['a 500', { scenario: 'error-500' }],
  ['a dropped connection before any byte', { fault: 'drop' }],
  ['a connection dropped after the 200 headers, before any event', { fault: 'drop-after-headers' }],
  ['response.failed before any output', { failBefore: { code: 'server_is_overloaded', message: 'Our servers are currently overloaded.' } }],
  ['a 403 for the account', { reply: { status: 403, body: { detail: 'This account is not allowed to use Codex.' } } }],
];

describe('failover before the first byte', () => {
  for (const [name, behaviour] of beforeOutput) {
    it(`${name}: the next account answers and the client sees one clean answer (non-stream and stream)`, async () => {
      rig = await startPool(['a', 'b']);
      rig.codex.setAccount(rig.account('a'), behaviour);
      const plain = await rig.chat('hello');
      expect(plain.status).toBe(200);
      expect(answerText(plain)).toBe('echo: hello');
      expect(plain.credential).toBe('b');
      expect(rig.counts()).toEqual({ a: 1, b: 1 });
      const views = await rig.admin();
      expect(views.a).toMatchObject({ state: 'cooldown', failures: 1 });
      expect(Date.parse(views.a!.cooldown_until!)).toBe(rig.clock.now() + 1000);

      rig.clock.advance(1000);
      const streamed = await rig.chat('stream it', { stream: true, prompt_cache_key: 'other-conv' });
      expect(streamed.status).toBe(200);
      expect(sse(streamed.text)).toEqual({ content: 'echo: stream it', done: true, error: false });
      expect(streamed.credential).toBe('b');
      expect(rig.counts()).toEqual({ a: 2, b: 2 });
    });
  }

  it('/v1/responses fails over the same way (stream)', async () => {
    rig = await startPool(['a', 'b']);
    rig.codex.setAccount(rig.account('a'), { scenario: 'error-500' });
    const response = await fetch(`${rig.daemon.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5.4', input: 'responses api', stream: true }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-proxycast-credential')).toBe('b');
    const text = await response.text();
    expect(text).toContain('response.completed');
    expect(text).not.toContain('event: error');
    expect(rig.counts()).toEqual({ a: 1, b: 1 });
  });

  it('a non-stream answer cut mid-way fails over too: nothing had reached the client yet', async () => {
    rig = await startPool(['a', 'b']);
    rig.codex.setAccount(rig.account('a'), { scenario: 'cut-after' });
    const result = await rig.chat('cut me');
    expect(result.status).toBe(200);
    expect(answerText(result)).toBe('echo: cut me');
    expect(rig.counts()).toEqual({ a: 1, b: 1 });
  });

  it('a stall before the headers fails over within upstream.first_byte_timeout_ms, closing the stalled socket', async () => {
    rig = await startPool(['a', 'b'], { config: 'upstream:\n  first_byte_timeout_ms: 600\n' });
    rig.codex.setAccount(rig.account('a'), { fault: 'stall' });
    const started = performance.now();
    const result = await rig.chat('are you there?');
    const elapsed = performance.now() - started;
    expect(result.status).toBe(200);
    expect(result.credential).toBe('b');
    // undici's header timer has about a second of resolution, so only the upper bound means anything.
    expect(elapsed).toBeLessThan(3000);
    expect(rig.counts()).toEqual({ a: 1, b: 1 });
    await expect.poll(() => rig!.codex.responsesCalls()[0]?.closedEarly).toBe(true);
    expect((await rig.admin()).a?.state).toBe('cooldown');
  });

  it('when every account fails, one 503 names each one and its state', async () => {
    rig = await startPool(['a', 'b']);
    for (const id of ['a', 'b']) rig.codex.setAccount(rig.account(id), { scenario: 'error-500' });
    const result = await rig.chat('anyone?');
    expect(result.status).toBe(503);
    expect(result.json.error.code).toBe('no_credentials');
    expect(result.json.error.message).toMatch(/a: cooldown until .*upstream_error.*; b: cooldown until /);
    expect(rig.counts()).toEqual({ a: 1, b: 1 });
  });
});

describe('after the first byte: no silent retry', () => {
  it('a stream cut after output ends with an SSE error and no [DONE]; the other account is not asked', async () => {
    rig = await startPool(['a', 'b']);
    rig.codex.setAccount(rig.account('a'), { scenario: 'cut-after' });
    const result = await rig.chat('half an answer', { stream: true });
    expect(result.status).toBe(200);
    const body = sse(result.text);
    expect(body.content).toContain('echo');
    expect(body.error).toBe(true);
    expect(body.done).toBe(false);
    expect(result.text).toContain('stream_interrupted');
    expect(rig.counts()).toEqual({ a: 1, b: 0 });
  });

  it('a stream that goes silent after output ends with an SSE error after upstream.idle_timeout_ms', async () => {
    rig = await startPool(['a', 'b'], { config: 'upstream:\n  idle_timeout_ms: 500\n' });
    rig.codex.setAccount(rig.account('a'), { fault: 'stall-after-output' });
    const result = await rig.chat('then silence', { stream: true });
    const body = sse(result.text);
    expect(body.content).toBe('echo: ');
    expect(body).toMatchObject({ error: true, done: false });
    expect(result.text).toContain('idle_timeout_ms');
    expect(rig.counts()).toEqual({ a: 1, b: 0 });
    await expect.poll(() => rig!.codex.closedEarly).toBe(1);
  });
});

describe('client aborts', () => {
  it('a client that hangs up closes the upstream socket at once and releases the credential, cooling nothing', async () => {
    rig = await startPool(['a', 'b']);
    rig.codex.setAccount(rig.account('a'), { pauseMs: 150 });
    const controller = new AbortController();
    const response = await fetch(`${rig.daemon.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      body: JSON.stringify({ model: 'gpt-5.4', stream: true, prompt_cache_key: 'abort-conv', messages: [{ role: 'user', content: 'a long answer with many words in it' }] }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect(rig.daemon.runtime.pool.inFlight()).toEqual({ a: 1 });
    controller.abort();
    await expect.poll(() => rig!.codex.closedEarly).toBe(1);
    await expect.poll(() => rig!.daemon.runtime.pool.inFlight()).toEqual({});
    expect((await rig.admin()).a).toMatchObject({ state: 'active', failures: 0 });
    rig.codex.setAccount(rig.account('a'), undefined);
    const next = await rig.chat('next turn', { prompt_cache_key: 'abort-conv' });
    expect(next.credential).toBe('a');
    expect(rig.counts()).toEqual({ a: 2, b: 0 });
    expect(rig.daemon.runtime.pool.inFlight()).toEqual({});
  });
});

describe('request faults are returned at once and cool nothing down', () => {
  const cases: Array<[string, AccountBehaviour, number, string]> = [
    ['a 400 validation error', { reply: { status: 400, body: { error: { type: 'invalid_request_error', code: 'invalid_value', message: "Invalid value for 'input'.", param: 'input' } } } }, 400, 'invalid_value'],
    ['context too long (an error event)', { scenario: 'error-event' }, 400, 'context_length_exceeded'],
    ['content policy (response.failed)', { failBefore: { code: 'content_policy_violation', message: 'This request was flagged by our content policy.' } }, 400, 'content_policy_violation'],
  ];
  for (const [name, behaviour, status, code] of cases) {
    it(name, async () => {
      rig = await startPool(['a', 'b']);
      rig.codex.setAccount(rig.account('a'), behaviour);
      const result = await rig.chat('bad request');
      expect(result.status).toBe(status);
      expect(result.json.error.code).toBe(code);
      expect(rig.counts()).toEqual({ a: 1, b: 0 });
      expect((await rig.admin()).a).toMatchObject({ state: 'active', failures: 0 });
    });
  }
});

describe('short exponential cooldowns for 5xx and other 429s', () => {
  it('grows 1 s, 2 s, 4 s for repeated 5xx; a 429 rate limit with a hint waits that long, one without backs off', async () => {
    // fill-first, so a is asked first whenever it is usable.
    rig = await startPool(['a', 'b'], { config: 'routing:\n  strategy: fill-first\n' });
    rig.codex.setAccount(rig.account('a'), { scenario: 'error-500' });
    const cooldownLeft = async () => Date.parse((await rig!.admin()).a!.cooldown_until!) - rig!.clock.now();
    await rig.chat('r1');
    expect(await cooldownLeft()).toBe(1000);
    rig.clock.advance(1000);
    await rig.chat('r2');
    expect(await cooldownLeft()).toBe(2000);
    rig.clock.advance(2000);
    await rig.chat('r3');
    expect(await cooldownLeft()).toBe(4000);
    expect(rig.counts()).toEqual({ a: 3, b: 3 });

    // A success ends the streak: the next 5xx starts at 1 s again.
    rig.codex.setAccount(rig.account('a'), undefined);
    rig.clock.advance(4000);
    expect((await rig.chat('r4')).credential).toBe('a');
    rig.codex.setAccount(rig.account('a'), { scenario: 'rate-limit' });
    await rig.chat('r5');
    expect(await cooldownLeft()).toBe(3000); // "Please try again in 2.5s" → 3 s
    rig.clock.advance(3000);
    rig.codex.setAccount(rig.account('a'), { reply: { status: 429, body: { error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Too many requests' } } } });
    await rig.chat('r6');
    expect(await cooldownLeft()).toBe(1000);
  });
});
