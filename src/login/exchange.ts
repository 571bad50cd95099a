import * as oidc from 'openid-client';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { chatGptIdentity, jwtExpiryMs } from '../credentials/jwt.js';
import type { OAuthSecret } from '../credentials/types.js';
import type { Clock } from '../deps.js';
import { scrubSecrets } from '../redact.js';
import { CODEX_CLIENT_ID, CODEX_ORIGINATOR, isLoopbackHttpIssuer, issuerEndpoint } from './constants.js';
import { LoginError } from './login-error.js';

/** One authorization code to trade for tokens at `<issuer>/oauth/token`. */
export interface CodeExchangeInput {
  issuer: string;
  code: string;
  /** The redirect URI the code was issued for: the callback's, or `<issuer>/deviceauth/callback`. */
  redirectUri: string;
  codeVerifier: string;
  dispatcher: Dispatcher;
  clock: Clock;
}

/**
 * The openid-client configuration for the issuer, built by hand: auth.openai.com is used without discovery.
 * Its clock is aligned with the injected one (openid-client otherwise reads Date.now() for the id_token `exp`).
 */
function issuerConfiguration(issuer: string, dispatcher: Dispatcher, clock: Clock): oidc.Configuration {
  const issuerUrl = issuer.replace(/\/+$/, '');
  const server: oidc.ServerMetadata = {
    issuer: issuerUrl,
    authorization_endpoint: issuerEndpoint(issuerUrl, '/oauth/authorize'),
    token_endpoint: issuerEndpoint(issuerUrl, '/oauth/token'),
  };
  const metadata: Partial<oidc.ClientMetadata> = {
    token_endpoint_auth_method: 'none',
    [oidc.clockSkew]: Math.round((clock.now() - Date.now()) / 1000),
  };
  const configuration = new oidc.Configuration(server, CODEX_CLIENT_ID, metadata, oidc.None());
  configuration[oidc.customFetch] = async (url, options) => {
    const headers = { ...options.headers, originator: CODEX_ORIGINATOR };
    const response = await undiciFetch(url, { method: options.method, headers, body: options.body, redirect: options.redirect, signal: options.signal, dispatcher });
    // Why: undici's Response is the WHATWG Response openid-client expects; only the TypeScript types differ.
    return response as unknown as Response;
  };
  // Only the loopback mock issuer of the tests is plain http; a real issuer must be https.
  if (isLoopbackHttpIssuer(issuerUrl)) oidc.allowInsecureRequests(configuration);
  return configuration;
}

async function describeExchangeFailure(error: unknown): Promise<string> {
  if (error instanceof oidc.ResponseBodyError) {
    return `HTTP ${error.status} ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Response || (cause && typeof cause === 'object' && 'status' in cause && 'text' in cause)) {
    const response = cause as Response;
    const body = response.bodyUsed ? '' : await response.text().catch(() => '');
    return `HTTP ${response.status}${body ? `: ${body.slice(0, 300)}` : ''}`;
  }
  const detail = error instanceof Error ? error.message : String(error);
  const causeDetail = cause instanceof Error && cause.message !== detail ? ` (${cause.message})` : '';
  return `${detail}${causeDetail}`;
}

/**
 * Trades an authorization code for tokens (codex-protocol.md 3.3): a form-encoded authorization_code grant with the
 * PKCE verifier, through the given dispatcher. Returns the OAuth secret with the identity of the id_token, the
 * access-token expiry (`expires_in`, else its JWT `exp`) and `lastRefresh` = now. Throws LoginError `exchange_failed`.
 */
export async function exchangeAuthorizationCode(input: CodeExchangeInput): Promise<OAuthSecret> {
  const configuration = issuerConfiguration(input.issuer, input.dispatcher, input.clock);
  const currentUrl = new URL(input.redirectUri);
  currentUrl.searchParams.set('code', input.code);
  let tokens: oidc.TokenEndpointResponse;
  try {
    tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: input.codeVerifier,
      expectedState: oidc.skipStateCheck,
      idTokenExpected: true,
    });
  } catch (error) {
    const detail = scrubSecrets(await describeExchangeFailure(error), [input.code, input.codeVerifier]);
    throw new LoginError('exchange_failed', `The token endpoint ${issuerEndpoint(input.issuer, '/oauth/token')} did not accept the sign-in (${detail}). Nothing was saved; start the login again.`);
  }
  return oauthSecretFromTokens(tokens, input.clock);
}

function oauthSecretFromTokens(tokens: oidc.TokenEndpointResponse, clock: Clock): OAuthSecret {
  if (!tokens.refresh_token) {
    throw new LoginError('exchange_failed', 'The token endpoint answered without a refresh_token, so the login could not be kept. Nothing was saved.');
  }
  const now = clock.now();
  const identity = chatGptIdentity(tokens.id_token, tokens.access_token);
  const expiresIn = typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? tokens.expires_in : undefined;
  return {
    kind: 'oauth',
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    idToken: tokens.id_token,
    accountId: identity.accountId,
    email: identity.email,
    planType: identity.planType,
    expiresAt: expiresIn !== undefined ? now + expiresIn * 1000 : jwtExpiryMs(tokens.access_token),
    lastRefresh: now,
  };
}
