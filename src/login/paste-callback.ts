import { authorizationCodeFromCallback } from './callback-params.js';
import { LoginError } from './login-error.js';

const CALLBACK_KEYS = ['code', 'state', 'error'];

/** The query of pasted text: a full URL, `?a=b&…`, or a bare `a=b&…`; undefined when it is none of those. */
function pastedQuery(text: string): URLSearchParams | undefined {
  const trimmed = text.trim().replace(/^["'`<]+|["'`>]+$/g, '').trim();
  if (trimmed.length === 0) return undefined;
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      return new URL(trimmed).searchParams;
    } catch {
      return undefined;
    }
  }
  const query = trimmed.includes('?') ? trimmed.slice(trimmed.indexOf('?') + 1) : trimmed;
  return query.includes('=') ? new URLSearchParams(query) : undefined;
}

/**
 * The authorization code of a pasted redirect URL (`http://localhost:1455/auth/callback?code=…&state=…`, with
 * surrounding whitespace or quotes, or just its query), with the state checked. Text that is not a callback at all
 * throws `not_a_callback`, so a caller may ask again; a wrong state or a refusal throws their own reasons.
 */
export function authorizationCodeFromPastedUrl(text: string, expectedState: string): string {
  const parameters = pastedQuery(text);
  if (!parameters || !CALLBACK_KEYS.some((key) => parameters.has(key))) {
    throw new LoginError(
      'not_a_callback',
      'That is not the callback URL. Paste the whole address from the browser\'s address bar after signing in; it looks like http://localhost:<port>/auth/callback?code=…&state=….',
    );
  }
  return authorizationCodeFromCallback(parameters, expectedState);
}
