import { LoginError } from './login-error.js';

/** Text from a URL, safe to print or put in a page: control characters removed, at most 300 characters. */
export function printableParameter(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300);
}

function authorizationError(error: string, description: string | null): LoginError {
  const detail = description ? `${printableParameter(error)}: ${printableParameter(description)}` : printableParameter(error);
  if (error === 'access_denied' && description?.toLowerCase().includes('missing_codex_entitlement')) {
    return new LoginError(
      'access_denied',
      'Codex is not enabled for this workspace (access_denied: missing_codex_entitlement). Ask the workspace administrator to enable Codex, or sign in with another workspace or account. Nothing was saved.',
    );
  }
  if (error === 'access_denied') {
    return new LoginError('access_denied', `Sign-in was denied (${detail}): consent was not given. Nothing was saved.`);
  }
  return new LoginError('authorization_failed', `Sign-in failed: the issuer answered the authorization with ${detail}. Nothing was saved.`);
}

/**
 * The authorization code of a callback's query, after the checks Codex makes in this order (server.rs): the state
 * must match (else "State mismatch"), then an `error` is the issuer's refusal, then a code must be there.
 */
export function authorizationCodeFromCallback(parameters: URLSearchParams, expectedState: string): string {
  if (parameters.get('state') !== expectedState) {
    throw new LoginError(
      'state_mismatch',
      'State mismatch: the callback does not belong to this login (it comes from another or an older sign-in attempt). Nothing was saved; start the login again and finish it in the same browser tab.',
    );
  }
  const error = parameters.get('error');
  if (error) throw authorizationError(error, parameters.get('error_description'));
  const code = parameters.get('code');
  if (!code) {
    throw new LoginError('authorization_failed', 'The callback has no authorization code, so sign-in could not be completed. Nothing was saved.');
  }
  return code;
}
