import type { Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import { resolveAuthDir } from '../config/load.js';
import type { OAuthSecret } from '../credentials/types.js';
import type { Clock, Deps } from '../deps.js';
import { buildAuthorizeUrl } from './authorize-url.js';
import { startCallbackServer } from './callback-server.js';
import { callbackPortsFor, issuerEndpoint, issuerProblem } from './constants.js';
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

/** Refuses a bad `--id` or a non-https issuer before anything is opened or sent. */
function checkLoginOptions(context: LoginContext): void {
  const problem = (context.credentialName ? credentialNameProblem(context.credentialName) : undefined) ?? issuerProblem(context.issuer);
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

/** One browser login's state: the PKCE pair, the state, and the single outcome every completion path settles. */
class BrowserLoginRun {
  readonly pkce = createPkceCodes();
  readonly state = createOAuthState();
  readonly outcome: Promise<LoginResult>;
  redirectUri = '';
  ended = false;
  private settle!: { resolve: (result: LoginResult) => void; reject: (error: LoginError) => void };
  private completion: Promise<LoginResult> | undefined;

  constructor(private readonly options: BrowserLoginOptions) {
    this.outcome = new Promise<LoginResult>((resolve, reject) => (this.settle = { resolve, reject }));
  }

  /** Ends the login with `error` unless it already ended. */
  fail(error: LoginError): void {
    this.settle.reject(error);
  }

  /** Exchanges and saves the code once; the callback and a paste racing each other share the same outcome. */
  complete(code: string): Promise<LoginResult> {
    this.completion ??= handled(
      this.exchangeAndSave(code).then(
        (result) => (this.settle.resolve(result), result),
        (error: unknown) => {
          const loginError = asLoginError(error, 'exchange_failed', 'Sign-in could not be completed');
          this.fail(loginError);
          throw loginError;
        },
      ),
    );
    return this.completion;
  }

  private async exchangeAndSave(code: string): Promise<LoginResult> {
    const secret = await exchangeAuthorizationCode({ ...this.options, code, redirectUri: this.redirectUri, codeVerifier: this.pkce.codeVerifier });
    if (this.ended) throw new LoginError('cancelled', 'The login was cancelled before it was saved. Nothing was saved.');
    return saveSecret(this.options, secret);
  }

  /** A pasted URL: not a callback at all rejects and keeps the login; anything else settles it. */
  async submitPasted(text: string, result: Promise<LoginResult>): Promise<LoginResult> {
    if (this.ended) return result;
    let code: string;
    try {
      code = authorizationCodeFromPastedUrl(text, this.state);
    } catch (error) {
      if (error instanceof LoginError && error.reason === 'not_a_callback') throw error;
      this.fail(asLoginError(error, 'authorization_failed', 'The pasted URL could not be read'));
      return result;
    }
    await this.complete(code).catch(() => undefined);
    return result;
  }
}

/**
 * Starts a browser login (PKCE S256 + state): the callback server on the first free port, and the authorize URL to
 * open. The callback, a pasted URL, a timeout, `/cancel`, `cancel()` or the signal ends it, whichever comes first.
 */
export async function startBrowserLogin(options: BrowserLoginOptions): Promise<BrowserLogin> {
  checkLoginOptions(options);
  const run = new BrowserLoginRun(options);
  const server = await startCallbackServer({
    ports: options.callbackPorts,
    expectedState: run.state,
    completeLogin: async (code) => describeLoginResult(await run.complete(code)),
    failLogin: (error) => run.fail(error),
    timeoutMs: options.timeoutMs,
    cancelOlderServer: options.cancelOlderServer,
  });
  run.redirectUri = server.redirectUri;
  const cancel = (): void => run.fail(new LoginError('cancelled', 'The login was cancelled. Nothing was saved.'));
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) cancel();
  const result = handled(
    run.outcome.finally(async () => {
      run.ended = true;
      options.signal?.removeEventListener('abort', cancel);
      await server.close();
    }),
  );
  return {
    authorizeUrl: buildAuthorizeUrl({ issuer: options.issuer, redirectUri: server.redirectUri, codeChallenge: run.pkce.codeChallenge, state: run.state }),
    redirectUri: server.redirectUri,
    port: server.port,
    result,
    submitCallbackUrl: (text) => run.submitPasted(text, result),
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
  checkLoginOptions(options);
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
