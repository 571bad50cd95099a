import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import lockfile from 'proper-lockfile';

/**
 * Writes `text` to `file` atomically: a temp file in the same directory (mode 0600), fsync, rename over the old
 * one, fsync the directory. The old file is never truncated in place, so a crash leaves either the old or the new.
 */
export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}

/** Lock options: a lock older than `stale` ms (its holder died) is taken over; waits up to ~5 s for a live one. */
const LOCK_OPTIONS = {
  realpath: false,
  stale: 10_000,
  update: 2_000,
  retries: { retries: 50, factor: 1.2, minTimeout: 20, maxTimeout: 200 },
} as const;

/**
 * Runs `fn` holding a proper-lockfile lock on `file` (the lock is the directory `<file>.lock`, which other
 * proxycast processes honour; the Codex CLI does not lock, which the re-read-before-write covers).
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // proper-lockfile retries every failure for ~9 s; a directory we cannot write will not become writable meanwhile.
  await fs.access(dir, fsConstants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${dir} is not writable (${error.code ?? error.message})`);
  });
  const release = await lockfile.lock(file, LOCK_OPTIONS);
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
