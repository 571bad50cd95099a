import { Agent, ProxyAgent, Socks5ProxyAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../src/errors.js';
import { emptyStats, type Credential } from '../../src/credentials/credential.js';
import { applyProbe, coolDownAfter, cooldownKind, noteSuccess, probeDue, shortCooldownMs } from '../../src/credentials/cooldown.js';
import { probeUrl, quotaFromUsageBody } from '../../src/credentials/quota-probe.js';
import { cooldownEnd, effectiveState } from '../../src/credentials/selection.js';
import { classifyAttemptError } from '../../src/proxy/attempts.js';
import { DispatcherRegistry } from '../../src/upstream/dispatchers.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const MINUTE = 60_000;

function credential(extra: Partial<Credential> = {}): Credential {
  return { id: 'a', source: 'login', tokenFile: '/auth/a.json', extraHeaders: {}, queryParams: {}, disabled: false, state: 'active', kind: 'oauth', stats: emptyStats(), ...extra };
}

describe('cooldowns', () => {
  it('a usage limit lasts until its reset, for every model; a spent window counts as a quota cooldown', () => {
    const target = credential();
    coolDownAfter(target, ProxyError.usageLimit(['a'], NOW + 30 * MINUTE, NOW), NOW);
    expect(target).toMatchObject({ state: 'cooldown', cooldownUntil: NOW + 30 * MINUTE, cooldownHard: true });
    expect(cooldownKind(target, NOW)).toBe('quota');
    expect(effectiveState(target, NOW + 30 * MINUTE - 1)).toBe('cooldown');
    expect(effectiveState(target, NOW + 30 * MINUTE)).toBe('active');

    const spent = credential({ quota: { primary: { usedPercent: 100, resetsAt: NOW + MINUTE }, capturedAt: NOW } });
    expect(cooldownKind(spent, NOW)).toBe('quota');
    expect(cooldownKind(spent, NOW + MINUTE)).toBeUndefined();
  });

  it('5xx, network errors and 429s without a reset back off 1 s, 2 s, 4 s … 60 s; a success starts over', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(shortCooldownMs)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    const target = credential();
    const failure = ProxyError.upstreamError('a', 502, '500 boom');
    for (const expected of [1000, 2000, 4000]) {
      coolDownAfter(target, failure, NOW);
      expect(target.cooldownUntil! - NOW).toBe(expected);
      expect(cooldownKind(target, NOW)).toBe('fault');
    }
    coolDownAfter(target, ProxyError.rateLimited('a', 'slow down'), NOW);
    expect(target.cooldownUntil! - NOW).toBe(8000);
    noteSuccess(target, NOW);
    expect(target.state).toBe('active');
    coolDownAfter(target, failure, NOW);
    expect(target.cooldownUntil! - NOW).toBe(1000);
    coolDownAfter(target, ProxyError.rateLimited('a', 'try again in 2.5s', 3), NOW);
    expect(target.cooldownUntil! - NOW).toBe(3000);
    expect(cooldownKind(target, NOW)).toBe('retry-after');
  });
});

describe('quota probes (pure parts)', () => {
  it('is due once per interval, counted from the cooldown start, only for an OAuth quota cooldown with time left', () => {
    const target = credential();
    coolDownAfter(target, ProxyError.usageLimit(['a'], NOW + 60 * MINUTE, NOW), NOW);
    const end = (at: number) => cooldownEnd(target, at);
    expect(probeDue(target, NOW + 4 * MINUTE, undefined, 5 * MINUTE, end(NOW + 4 * MINUTE))).toBe(false);
    expect(probeDue(target, NOW + 5 * MINUTE, undefined, 5 * MINUTE, end(NOW + 5 * MINUTE))).toBe(true);
    expect(probeDue(target, NOW + 9 * MINUTE, NOW + 5 * MINUTE, 5 * MINUTE, end(NOW + 9 * MINUTE))).toBe(false);
    expect(probeDue(target, NOW + 10 * MINUTE, NOW + 5 * MINUTE, 5 * MINUTE, end(NOW + 10 * MINUTE))).toBe(true);
    expect(probeDue(target, NOW + 10 * MINUTE, undefined, 0, end(NOW + 10 * MINUTE))).toBe(false);
    // Ten seconds before the reset a probe is not worth it.
    expect(probeDue(target, NOW + 60 * MINUTE - 10_000, NOW, 5 * MINUTE, end(NOW + 60 * MINUTE - 10_000))).toBe(false);
    expect(probeDue({ ...target, kind: 'api_key' }, NOW + 10 * MINUTE, undefined, 5 * MINUTE, end(NOW + 10 * MINUTE))).toBe(false);

    const faulty = credential();
    coolDownAfter(faulty, ProxyError.upstreamError('a', 502, 'boom'), NOW);
    expect(probeDue(faulty, NOW + 10 * MINUTE, undefined, MINUTE, NOW + 20 * MINUTE)).toBe(false);
  });

  it('a probe below 100 % clears the quota cooldown; one still at 100 % moves it to the reported reset', () => {
    const target = credential();
    coolDownAfter(target, ProxyError.usageLimit(['a'], NOW + 60 * MINUTE, NOW), NOW);
    expect(applyProbe(target, { primary: { usedPercent: 100, resetsAt: NOW + 20 * MINUTE }, capturedAt: NOW }, NOW)).toBe('still-limited');
    expect(target.cooldownUntil).toBe(NOW + 20 * MINUTE);
    expect(effectiveState(target, NOW)).toBe('cooldown');
    expect(applyProbe(target, { primary: { usedPercent: 35, resetsAt: NOW + 20 * MINUTE }, capturedAt: NOW }, NOW)).toBe('cleared');
    expect(target).toMatchObject({ state: 'active', cooldownUntil: undefined });

    const faulty = credential();
    coolDownAfter(faulty, ProxyError.upstreamError('a', 502, 'boom'), NOW);
    applyProbe(faulty, { primary: { usedPercent: 5 }, capturedAt: NOW }, NOW);
    expect(faulty.state).toBe('cooldown');
  });

  it('reads the wham/usage body and derives the probe URL from the Codex base', () => {
    const body = {
      plan_type: 'plus',
      rate_limit: {
        allowed: true,
        primary_window: { used_percent: 42, limit_window_seconds: 18_000, reset_after_seconds: 600, reset_at: (NOW + 900_000) / 1000 },
        secondary_window: { used_percent: 10, limit_window_seconds: 604_800, reset_after_seconds: 7200 },
      },
    };
    expect(quotaFromUsageBody(body, NOW)).toEqual({
      primary: { usedPercent: 42, windowMinutes: 300, resetsAt: NOW + 900_000 },
      secondary: { usedPercent: 10, windowMinutes: 10_080, resetsAt: NOW + 7_200_000 },
      plan: 'plus',
      capturedAt: NOW,
    });
    expect(quotaFromUsageBody({ detail: 'nope' }, NOW)).toBeUndefined();
    expect(probeUrl('https://chatgpt.com/backend-api/codex/', '0.1')).toEqual({ url: 'https://chatgpt.com/backend-api/wham/usage', readsBody: true });
    expect(probeUrl('https://gateway.example/v1', '0.1')).toEqual({ url: 'https://gateway.example/v1/models?client_version=0.1', readsBody: false });
  });
});

describe('request faults versus credential faults', () => {
  it('codes that are the request\'s fault become a 400 that cools nothing, whatever status they came with', () => {
    const policy = classifyAttemptError(ProxyError.upstreamError('a', 502, 'flagged', 'content_policy_violation'), 'a');
    expect(policy).toMatchObject({ status: 400, code: 'content_policy_violation', credentialFault: false, type: 'invalid_request_error' });
    expect(classifyAttemptError(ProxyError.upstreamError('a', 502, 'bad prompt', 'invalid_prompt'), 'a').credentialFault).toBe(false);
    const overloaded = classifyAttemptError(ProxyError.upstreamError('a', 502, 'busy', 'server_is_overloaded'), 'a');
    expect(overloaded).toMatchObject({ status: 502, credentialFault: true });
    const context = ProxyError.upstreamError('a', 400, 'too long', 'context_length_exceeded');
    expect(classifyAttemptError(context, 'a')).toBe(context);
    expect(classifyAttemptError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'a')).toMatchObject({ code: 'upstream_unavailable', credentialFault: true });
    // Our own bug (no socket code) blames no credential and shows no internals.
    expect(classifyAttemptError(new TypeError('x is not a function'), 'a')).toMatchObject({ status: 500, code: 'internal_error', credentialFault: false });
  });
});

describe('dispatchers per proxy_url', () => {
  it('one dispatcher per proxy URL, reused; http(s) through ProxyAgent, socks5 through Socks5ProxyAgent; none = direct', async () => {
    const direct = new Agent();
    const registry = new DispatcherRegistry(direct, { connectTimeoutMs: 1000 });
    expect(registry.forProxy(undefined)).toBe(direct);
    const http = registry.forProxy('http://127.0.0.1:3128');
    expect(http).toBeInstanceOf(ProxyAgent);
    expect(registry.forProxy('http://127.0.0.1:3128')).toBe(http);
    expect(registry.forProxy('https://user:secret@proxy.example:8443')).toBeInstanceOf(ProxyAgent);
    expect(registry.forProxy('socks5://127.0.0.1:1080')).toBeInstanceOf(Socks5ProxyAgent);
    await registry.close();
    await direct.close();
  });
});
