import { CODEX_CLIENT_ID, CODEX_ORIGINATOR, CODEX_SCOPE, issuerEndpoint } from './constants.js';

/** What varies between two authorize URLs. */
export interface AuthorizeUrlInput {
  issuer: string;
  redirectUri: string;
  codeChallenge: string;
  state: string;
}

/**
 * The browser sign-in URL with the parameters of codex-protocol.md 3.2, in Codex's order. Values are
 * percent-encoded (spaces as %20, as Codex's `urlencoding` does), not form-encoded.
 */
export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  const parameters: Array<[string, string]> = [
    ['response_type', 'code'],
    ['client_id', CODEX_CLIENT_ID],
    ['redirect_uri', input.redirectUri],
    ['scope', CODEX_SCOPE],
    ['code_challenge', input.codeChallenge],
    ['code_challenge_method', 'S256'],
    ['id_token_add_organizations', 'true'],
    ['codex_cli_simplified_flow', 'true'],
    ['state', input.state],
    ['originator', CODEX_ORIGINATOR],
  ];
  const query = parameters.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
  return `${issuerEndpoint(input.issuer, '/oauth/authorize')}?${query}`;
}
