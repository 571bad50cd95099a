import path from 'node:path';

/** Expands a leading "~" to the given home directory; other paths are returned resolved against `base`. */
export function expandHome(p: string, homeDir: string, base = process.cwd()): string {
  if (p === '~') return homeDir;
  if (p.startsWith('~/')) return path.join(homeDir, p.slice(2));
  return path.resolve(base, p);
}

/** The daemon's own state directory, ~/.proxycast. */
export function proxycastHome(homeDir: string): string {
  return path.join(homeDir, '.proxycast');
}

/** The Codex CLI home: codex.codex_home, else $CODEX_HOME, else ~/.codex. */
export function resolveCodexHome(configured: string | undefined, env: NodeJS.ProcessEnv, homeDir: string): string {
  if (configured) return expandHome(configured, homeDir);
  if (env.CODEX_HOME && env.CODEX_HOME.length > 0) return expandHome(env.CODEX_HOME, homeDir);
  return path.join(homeDir, '.codex');
}
