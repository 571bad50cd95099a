import fs from 'node:fs';
import type { Runtime } from './runtime.js';
import { reloadConfig } from './config/reload.js';
import { buildCredential, loginCredentialSpecs } from './credentials/load-pool.js';

/** How often files are looked at. Polling (stat) survives the rename-over writes every tool here uses. */
const POLL_MS = 1_000;

/** Serialises calls of an async job: one at a time, and a call during a run triggers exactly one more run. */
function serialised(job: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await job();
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => void run();
}

/** What changes when a file is rewritten in place or replaced by rename: mtime, size, inode. */
async function fileSignature(file: string): Promise<string> {
  const stat = await fs.promises.stat(file).catch(() => undefined);
  return stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : 'missing';
}

/** Adds credentials for login files that appeared under auth_dir/codex since the pool was built (no restart). */
export async function addNewLoginCredentials(runtime: Runtime): Promise<string[]> {
  const list = runtime.pool.list();
  const specs = await loginCredentialSpecs(runtime.authDir, { ids: new Set(list.map((c) => c.id)), files: new Set(list.map((c) => c.tokenFile)) });
  for (const spec of specs) {
    if (runtime.adminState.isRemoved(spec.id)) continue;
    const [credential] = runtime.adminState.apply([await buildCredential(spec)]);
    if (credential) runtime.pool.upsert(credential);
    runtime.deps.logger.info({ credential: spec.id, file: spec.tokenFile }, 'new login credential joined the pool');
  }
  return specs.map((spec) => spec.id);
}

/** Re-reads the token files whose mtime or size changed (a re-login, the Codex CLI's refresh, a hand edit). */
async function rereadChangedTokenFiles(runtime: Runtime, seen: Map<string, string>): Promise<void> {
  for (const credential of runtime.pool.list()) {
    if (credential.tokenFile.startsWith('env:')) continue;
    const signature = await fileSignature(credential.tokenFile);
    const previous = seen.get(credential.id);
    seen.set(credential.id, signature);
    if (previous === signature) continue;
    await runtime.reloadTokenFile(credential);
  }
}

/** Starts the hot-reload watchers; returns a function that stops them. */
export function startWatchers(runtime: Runtime): () => void {
  const timers: NodeJS.Timeout[] = [];
  const seen = new Map<string, string>();
  let configSignature: string | undefined;
  const tick = serialised(async () => {
    const configFile = runtime.loaded.file;
    if (configFile) {
      const signature = await fileSignature(configFile);
      // The first look reloads too: reloadConfig compares the text, so an edit made before it is not missed.
      if (signature !== configSignature) await reloadConfig(runtime);
      configSignature = signature;
    }
    await addNewLoginCredentials(runtime);
    await rereadChangedTokenFiles(runtime, seen);
  });
  tick();
  const timer = setInterval(tick, POLL_MS);
  timer.unref();
  timers.push(timer);
  return () => {
    for (const t of timers) clearInterval(t);
  };
}
