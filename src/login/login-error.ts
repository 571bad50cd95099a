/** Why a login did not produce a credential; the CLI prints the message, the admin API returns it with the reason. */
export type LoginFailureReason =
  | 'invalid_option'
  | 'state_mismatch'
  | 'access_denied'
  | 'authorization_failed'
  | 'not_a_callback'
  | 'timeout'
  | 'cancelled'
  | 'ports_busy'
  | 'exchange_failed'
  | 'no_identity'
  | 'device_not_enabled'
  | 'device_expired'
  | 'device_failed'
  | 'save_failed';

/** A login failure with a message that says what happened and what to do; it never carries a token. */
export class LoginError extends Error {
  constructor(
    readonly reason: LoginFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

/** The failure as a LoginError: LoginErrors pass through, anything else becomes `fallback` with its message. */
export function asLoginError(error: unknown, fallback: LoginFailureReason, prefix: string): LoginError {
  if (error instanceof LoginError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new LoginError(fallback, `${prefix}: ${detail}`);
}
