import type { Config } from '../config/schema.js';
import type { Credential } from '../credentials/credential.js';
import { effectiveBaseUrl } from '../credentials/codex-cli-import.js';

/** Where this credential's requests go: the import's provider base, the token file's api_base_url, or the defaults. */
export function credentialBaseUrl(credential: Credential, config: Config): string {
  return effectiveBaseUrl(credential, config.codex);
}

/** `<base><path>` plus the provider's query_params (and any given here). */
export function upstreamUrl(credential: Credential, config: Config, path: string, query?: Record<string, string>): string {
  // The common case (no query parameters) is a plain join; undici parses the URL once anyway.
  if (!query && (!credential.queryParams || Object.keys(credential.queryParams).length === 0)) return `${credentialBaseUrl(credential, config)}${path}`;
  const url = new URL(`${credentialBaseUrl(credential, config)}${path}`);
  for (const [key, value] of Object.entries({ ...credential.queryParams, ...query })) url.searchParams.set(key, value);
  return url.toString();
}
