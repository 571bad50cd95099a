/** Wire constants of the Codex ChatGPT login (codex-protocol.md section 3.1). */

/** The OAuth client id of the Codex CLI, shared by every Codex-compatible tool. */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** The scopes proxycast asks for (ChatMock's set; newer Codex adds connector scopes proxycast does not use). */
export const CODEX_SCOPE = 'openid profile email offline_access';

/** The originator Codex sends by default; the authorize URL carries it. */
export const CODEX_ORIGINATOR = 'codex_cli_rs';

/** The only callback ports OpenAI registers for this client id: the default, then the fallback. */
export const REGISTERED_CALLBACK_PORTS = [1455, 1457] as const;

/** How long a browser login waits for its callback (Codex: 10 minutes). */
export const BROWSER_LOGIN_TIMEOUT_MS = 10 * 60_000;

/** How long a device code lives (Codex: 15 minutes). */
export const DEVICE_CODE_LIFETIME_MS = 15 * 60_000;

/** `<issuer><path>` with the issuer's trailing slashes removed, so a configured `https://auth.openai.com/` works. */
export function issuerEndpoint(issuer: string, path: string): string {
  return `${issuer.replace(/\/+$/, '')}${path}`;
}

/** True for a plain-http issuer on a loopback host: the tests' mock issuer, the only http issuer a login accepts. */
export function isLoopbackHttpIssuer(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

/** Why a login must not talk to `issuer` (codes and tokens would cross the network in clear), or undefined. */
export function issuerProblem(issuer: string): string | undefined {
  if (isLoopbackHttpIssuer(issuer)) return undefined;
  try {
    if (new URL(issuer).protocol === 'https:') return undefined;
  } catch {
    return `codex.oauth_issuer "${issuer}" is not a URL`;
  }
  return `codex.oauth_issuer "${issuer}" must be an https URL (plain http is accepted only on a loopback host)`;
}

/** The redirect URI registered for a callback port: always `localhost`, while the server binds 127.0.0.1. */
export function callbackRedirectUri(port: number): string {
  return `http://localhost:${port}/auth/callback`;
}

/** The callback port pair for a configured port: it first, then the other registered port (1455 ↔ 1457). */
export function callbackPortsFor(configuredPort: number): number[] {
  const others = [REGISTERED_CALLBACK_PORTS[1], REGISTERED_CALLBACK_PORTS[0]].filter((port) => port !== configuredPort);
  return [configuredPort, others[0] ?? REGISTERED_CALLBACK_PORTS[1]];
}

/** "10 minutes", "1 minute", "250 ms". */
export function describeDuration(ms: number): string {
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
  const minutes = Math.round(ms / 60_000);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
