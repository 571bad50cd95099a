import type { Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import { resolveAuthDir } from '../config/load.js';
import type { OAuthSecret } from '../credentials/types.js';
import type { Clock, Deps } from '../deps.js';
import { buildAuthorizeUrl } from './authorize-url.js';
import { startCallbackServer, type CallbackServer } from './callback-server.js';
import { callbackPortsFor, issuerEndpoint } from './constants.js';
import { realSleep, requestDeviceCode, waitForDeviceAuthorization, type Sleep } from './device-code.js';
import { exchangeAuthorizationCode } from './exchange.js';
import { asLoginError, LoginError } from './login-error.js';
import { authorizationCodeFromPastedUrl } from './paste-callback.js';
import { createOAuthState, createPkceCodes } from './pkce.js';
import { credentialNameProblem, saveLogin, type SavedLogin } from './save-login.js';

/** Where a login talks to and where it saves; the CLI and the admin API build it from the config. */
export interface LoginContext {
  /** `codex.oauth_issuer`: every login call goes there. */
  issuer: string;
  authDir: string;
  dispatcher: Dispatcher;
  clock: Clock;
  /** `--id NAME`. */
  credentialName?: string | undefined;
}

/** A saved login and whose it is. */
export interface LoginResult extends SavedLogin {
  email?: string | undefined;
  accountId?: string | undefined;
  planType?: string | undefined;
}

/** The login context of a loaded config: issuer, auth_dir, the direct dispatcher and the clock. */
export function loginContextFromConfig(config: Config, deps: Deps, configFile?: string): LoginContext {
  return {
    issuer: config.codex.oauth_issuer,
    authDir: resolveAuthDir(config, deps.homeDir, configFile),
    dispatcher: deps.dispatcher,
    clock: deps.clock,
  };
}

/** The ports a login listens on for a config: codex.oauth_callback_port, then the other registered port. */
export function callbackPortsOfConfig(config: Config): number[] {
  return callbackPortsFor(config.codex.oauth_callback_port);
}

function checkCredentialName(context: LoginContext): void {
  const problem = context.credentialName ? credentialNameProblem(context.credentialName) : undefined;
  if (problem) throw new LoginError('invalid_option', problem);
}

async function saveSecret(context: LoginContext, secret: OAuthSecret): Promise<LoginResult> {
  const saved = await saveLogin({ authDir: context.authDir, secret, credentialName: context.credentialName }).catch((error: unknown) => {
    throw asLoginError(error, 'save_failed', 'Signed in, but the credential could not be saved');
  });
  return { ...saved, email: secret.email, accountId: secret.accountId, planType: secret.planType };
}

/** "alice@example.com was saved as credential alice@example.com." */
export function describeLoginResult(result: LoginResult): string {
  return `${result.email ?? result.accountId ?? 'The account'} was saved as credential "${result.credentialId}".`;
}

/** Keeps a promise nobody may await from becoming an unhandled rejection; returns it unchanged. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The browser login's options beyond the context. */
export interface BrowserLoginOptions extends LoginContext {
  /** `[1455, 1457]` from the config (callbackPortsOfConfig); tests pass two free ports. */
  callbackPorts: readonly number[];
  /** Default 10 minutes. */
  timeoutMs?: number | undefined;
  cancelOlderServer?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** A running browser login. */
export interface BrowserLogin {
  authorizeUrl: string;
  redirectUri: string;
  port: number;
  /** Settles once, after the callback port is free: the saved login, or a LoginError saying what happened. */
  result: Promise<LoginResult>;
  /**
   * Completes the login from a pasted redirect URL instead of the callback. Text that is not a callback URL
   * rejects with `not_a_callback` and leaves the login running; anything else settles it (see `result`).
   */
  submitCallbackUrl(text: string): Promise<LoginResult>;
  /** Ends the login with `cancelled` (nothing is saved) and frees the port. */
  cancel(): void;
}

/**
 * Starts a browser login (PKCE S256 + state): the callback server on the first free port, and the authorize URL to
 * open. The callback, a pasted URL, a timeout, `/cancel` or `cancel()` ends it, whichever comes first.
 */
export async function startBrowserLogin(options: BrowserLoginOptions): Promise<BrowserLogin> {
  checkCredentialName(options);
  const pkce = createPkceCodes();
  const state = createOAuthState();
  let settle!: { resolve: (result: LoginResult) => void; reject: (error: LoginError) => void };
  const outcome = new Promise<LoginResult>((resolve, reject) => (settle = { resolve, reject }));
  let ended = false;
  let completion: Promise<LoginResult> | undefined;
  let server: CallbackServer | undefined;
  const complete = (code: string): Promise<LoginResult> =>
    (completion ??= handled(
      (async () => {
        const secret = await exchangeAuthorizationCode({ ...options, code, redirectUri: server?.redirectUri ?? '', codeVerifier: pkce.codeVerifier });
        if (ended) throw new LoginError('cancelled', 'The login was cancelled before it was saved. Nothing was saved.');
        return saveSecret(options, secret);
      })().then(
        (result) => (settle.resolve(result), result),
        (error: unknown) => {
          const loginError = asLoginError(error, 'exchange_failed', 'Sign-in could not be completed');
          settle.reject(loginError);
          throw loginError;
        },
      ),
    ));
  server = await startCallbackServer({
    ports: options.callbackPorts,
    expectedState: state,
    completeLogin: async (code) => describeLoginResult(await complete(code)),
    failLogin: (error) => settle.reject(error),
    timeoutMs: options.timeoutMs,
    cancelOlderServer: options.cancelOlderServer,
  });
  const listening = server;
  const result = handled(
    outcome.finally(async () => {
      ended = true;
      await listening.close();
    }),
  );
  const cancel = (): void => settle.reject(new LoginError('cancelled', 'The login was cancelled. Nothing was saved.'));
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  return {
    authorizeUrl: buildAuthorizeUrl({ issuer: options.issuer, redirectUri: listening.redirectUri, codeChallenge: pkce.codeChallenge, state }),
    redirectUri: listening.redirectUri,
    port: listening.port,
    result,
    submitCallbackUrl: async (text) => {
      if (ended) return result;
      let code: string;
      try {
        code = authorizationCodeFromPastedUrl(text, state);
      } catch (error) {
        if (error instanceof LoginError && error.reason === 'not_a_callback') throw error;
        settle.reject(asLoginError(error, 'authorization_failed', 'The pasted URL could not be read'));
        return result;
      }
      await complete(code).catch(() => undefined);
      return result;
    },
    cancel,
  };
}

/** The device login's options beyond the context. */
export interface DeviceLoginOptions extends LoginContext {
  sleep?: Sleep | undefined;
  /** Default 15 minutes. */
  lifetimeMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A running device-code login. */
export interface DeviceLogin {
  verificationUrl: string;
  userCode: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** The saved login once the user approved the code, or a LoginError (expired, cancelled, …). */
  result: Promise<LoginResult>;
  cancel(): void;
}

/**
 * Starts a device-code login: asks for a code (a 404 throws `device_not_enabled` at once), then polls in the
 * background and exchanges the approved code with the issuer's verifier and `<issuer>/deviceauth/callback`.
 */
export async function startDeviceLogin(options: DeviceLoginOptions): Promise<DeviceLogin> {
  checkCredentialName(options);
  const deviceCode = await requestDeviceCode(options, options.lifetimeMs);
  const abort = new AbortController();
  const cancel = (): void => abort.abort();
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  const cancelled = (): LoginError => new LoginError('cancelled', 'The device-code login was cancelled. Nothing was saved.');
  const result = handled(
    (async () => {
      const authorization = await waitForDeviceAuthorization(options, deviceCode, { sleep: options.sleep ?? realSleep, signal: abort.signal });
      const secret = await exchangeAuthorizationCode({
        ...options,
        code: authorization.authorizationCode,
        redirectUri: issuerEndpoint(options.issuer, '/deviceauth/callback'),
        codeVerifier: authorization.codeVerifier,
      });
      if (abort.signal.aborted) throw cancelled();
      return saveSecret(options, secret);
    })().finally(() => options.signal?.removeEventListener('abort', cancel)),
  );
  return { verificationUrl: deviceCode.verificationUrl, userCode: deviceCode.userCode, expiresAt: deviceCode.expiresAt, result, cancel };
}
