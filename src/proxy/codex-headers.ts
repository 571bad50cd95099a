import os from 'node:os';
import type { OAuthSecret } from '../credentials/types.js';

/** The originator the Codex CLI sends by default (codex-protocol.md 5.2). */
export const CODEX_ORIGINATOR = 'codex_cli_rs';

function osLabel(): string {
  const platform = os.platform();
  const name = platform === 'darwin' ? 'Mac OS' : platform === 'win32' ? 'Windows' : platform === 'linux' ? 'Linux' : platform;
  return `${name} ${os.release()}`;
}

/** A Codex-style User-Agent: `<originator>/<version> (<os> <release>; <arch>) proxycast`. Never the client's own. */
export function codexUserAgent(clientVersion: string): string {
  // Built once per client version: os.release() asks the kernel each time, and this runs on every request.
  let agent = userAgents.get(clientVersion);
  if (agent === undefined) {
    agent = `${CODEX_ORIGINATOR}/${clientVersion} (${osLabel()}; ${os.arch()}) proxycast`;
    userAgents.set(clientVersion, agent);
  }
  return agent;
}

const userAgents = new Map<string, string>();

/** Headers for every call to the ChatGPT Codex backend with an OAuth credential. */
export function codexBackendHeaders(secret: OAuthSecret, clientVersion: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  // Provider headers go first and lower-cased, so none of them can replace or double the credential's own.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  Object.assign(headers, {
    authorization: `Bearer ${secret.accessToken}`,
    originator: CODEX_ORIGINATOR,
    'user-agent': codexUserAgent(clientVersion),
    version: clientVersion,
  });
  if (secret.accountId) headers['chatgpt-account-id'] = secret.accountId;
  return headers;
}
