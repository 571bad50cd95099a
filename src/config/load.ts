import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, defaultConfig, type Config } from './schema.js';
import { expandHome, proxycastHome } from './paths.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined for the embedded defaults. */
  file: string | undefined;
  /** The raw text, so a reload can skip an unchanged file. */
  text: string | undefined;
}

/** The config file to use: --config, else $PROXYCAST_CONFIG, else ./config.yaml, else ~/.proxycast/config.yaml. */
export function findConfigFile(options: { flag?: string | undefined; env: NodeJS.ProcessEnv; homeDir: string; cwd: string }): string | undefined {
  if (options.flag) return expandHome(options.flag, options.homeDir, options.cwd);
  if (options.env.PROXYCAST_CONFIG) return expandHome(options.env.PROXYCAST_CONFIG, options.homeDir, options.cwd);
  const local = path.join(options.cwd, 'config.yaml');
  if (fs.existsSync(local)) return local;
  const home = path.join(proxycastHome(options.homeDir), 'config.yaml');
  if (fs.existsSync(home)) return home;
  return undefined;
}

function formatPath(pathParts: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of pathParts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** One line per problem: "<file>: <key path>: <what is expected>". */
export function formatConfigIssues(fileLabel: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys
          .map((key) => `${fileLabel}: ${formatPath([...issue.path, key])}: unknown key (check its spelling against config.example.yaml)`)
          .join('\n');
      }
      const where = formatPath(issue.path) || '(top level)';
      let what = issue.message;
      if (issue.code === 'invalid_type') what = `expected ${article(issue.expected)}${issue.expected}`;
      return `${fileLabel}: ${where}: ${what}`;
    })
    .join('\n');
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? 'an ' : 'a ';
}

/** Parses and validates config text; throws ConfigError naming the file, the key path and what is expected. */
export function parseConfigText(text: string, fileLabel: string): Config {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(`${fileLabel}: not valid YAML: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${fileLabel}: expected a YAML mapping at the top level`);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatConfigIssues(fileLabel, result.error.issues));
  const ids = new Set<string>();
  result.data.credential_pool.codex.forEach((entry, index) => {
    if (ids.has(entry.id)) {
      throw new ConfigError(`${fileLabel}: credential_pool.codex[${index}].id: duplicate credential id '${entry.id}'; ids must be unique`);
    }
    ids.add(entry.id);
  });
  return result.data;
}

/** Loads the config by the contract's lookup order; embedded defaults when no file is found. */
export function loadConfig(options: { flag?: string | undefined; env: NodeJS.ProcessEnv; homeDir: string; cwd: string }): LoadedConfig {
  const file = findConfigFile(options);
  if (!file) return { config: defaultConfig(), file: undefined, text: undefined };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return { config: parseConfigText(text, file), file, text };
}

/** The absolute auth_dir. */
export function resolveAuthDir(config: Config, homeDir: string, configFile: string | undefined): string {
  return expandHome(config.auth_dir, homeDir, configFile ? path.dirname(configFile) : process.cwd());
}
