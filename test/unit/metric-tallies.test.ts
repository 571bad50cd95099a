import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TallyCounter, TallyHistogram } from '../../src/metrics/tallies.js';

const BUCKETS = [0.005, 0.01, 0.1, 1, 10];

describe('metric tallies', () => {
  it('render exactly what prom-client renders for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const labelNames = ['route', 'credential', 'status'] as const;
    const histogram = new TallyHistogram({ name: 'h_seconds', help: 'a histogram', labelNames, buckets: BUCKETS, registry: ours });
    const reference = new Histogram({ name: 'h_seconds', help: 'a histogram', labelNames, buckets: BUCKETS, registers: [theirs] });
    const counter = new TallyCounter({ name: 'c_total', help: 'a counter', labelNames: ['credential', 'model'] as const, registry: ours });
    const referenceCounter = new Counter({ name: 'c_total', help: 'a counter', labelNames: ['credential', 'model'] as const, registers: [theirs] });
    const observations: Array<[string, string, string, number]> = [
      ['/v1/chat/completions', 'codex-a', '200', 0.0042],
      ['/v1/chat/completions', 'codex-a', '200', 0.01],
      ['/v1/chat/completions', 'codex-a', '200', 0.7],
      ['/v1/chat/completions', 'codex-b', '502', 42],
      ['/v1/responses', 'codex-a', '200', 0.02],
    ];
    for (const [route, credential, status, seconds] of observations) {
      histogram.observe({ route, credential, status }, seconds);
      reference.observe({ route, credential, status }, seconds);
      counter.inc({ credential, model: 'gpt-5.4' });
      referenceCounter.inc({ credential, model: 'gpt-5.4' });
    }
    counter.inc({ credential: 'codex-a', model: 'gpt-5.4' }, 5);
    referenceCounter.inc({ credential: 'codex-a', model: 'gpt-5.4' }, 5);
    const sorted = (text: string) => text.split('\n').sort().join('\n');
    expect(sorted(await ours.metrics())).toBe(sorted(await theirs.metrics()));
    expect(await ours.metrics()).toContain('h_seconds_bucket{le="0.01",route="/v1/chat/completions",credential="codex-a",status="200"} 2');
    expect(await ours.metrics()).toContain('c_total{credential="codex-a",model="gpt-5.4"} 9');
  });
});
