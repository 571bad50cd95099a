/**
 * Preloaded into the proxycast child process of the memory benchmark (`node --expose-gc --import <this> cli.js`):
 * on SIGUSR2 it runs a full GC and writes process.memoryUsage() to $BENCH_PROBE_FILE, so the benchmark can tell
 * a leak (live heap that keeps growing) from a heap V8 merely sized up under load (RSS that stays high).
 * It changes nothing else in the process.
 */
import fs from 'node:fs';

const file = process.env.BENCH_PROBE_FILE;
const gc = (globalThis as { gc?: () => void }).gc;
if (file) {
  process.on('SIGUSR2', () => {
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), gc: gc !== undefined, ...usage }));
    fs.renameSync(`${file}.tmp`, file);
  });
}
