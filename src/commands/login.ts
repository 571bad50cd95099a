import readline from 'node:readline';
import type { Config } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { BROWSER_LOGIN_TIMEOUT_MS, describeDuration, DEVICE_CODE_LIFETIME_MS } from '../login/constants.js';
import type { Sleep } from '../login/device-code.js';
import { asLoginError, LoginError } from '../login/login-error.js';
import { callbackPortsOfConfig, loginContextFromConfig, startBrowserLogin, startDeviceLogin, type LoginContext, type LoginResult } from '../login/login-session.js';
import { openInBrowser } from '../login/open-browser.js';

/** `proxycast login` as the CLI parsed it, and everything it touches. */
export interface LoginCommandOptions {
  /** `--device`: the device-code flow. */
  device?: boolean | undefined;
  /** `--no-browser`: do not open a browser; accept a pasted callback URL on stdin. */
  noBrowser?: boolean | undefined;
  /** `--id NAME`: the credential id. */
  id?: string | undefined;
  config: Config;
  /** The config file the config came from (relative auth_dir is resolved against its directory). */
  configFile?: string | undefined;
  deps: Deps;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean | undefined };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Opens the authorize URL; returns false when it could not. Default: open / rundll32 / xdg-open. */
  openBrowser?: ((url: string) => boolean | Promise<boolean>) | undefined;
  /** Ends the login (Ctrl-C); nothing is saved. */
  signal?: AbortSignal | undefined;
  /** Test seams: the callback port pair (default from codex.oauth_callback_port), timeouts and the poll sleep. */
  callbackPorts?: readonly number[] | undefined;
  timeoutMs?: number | undefined;
  deviceLifetimeMs?: number | undefined;
  sleep?: Sleep | undefined;
}

function printSuccess(options: LoginCommandOptions, result: LoginResult): void {
  const who = result.email ?? result.accountId ?? 'your account';
  const plan = result.planType ? ` (plan ${result.planType})` : '';
  options.stdout.write(
    `${result.replaced ? 'Signed in again' : 'Signed in'} as ${who}${plan}.\nCredential: ${result.credentialId}\nFile: ${result.file}\n` +
      'A running proxycast daemon picks it up without a restart.\n',
  );
}

/** Reads pasted lines from stdin into the login until it ends; returns the function that stops reading. */
function acceptPastedUrls(options: LoginCommandOptions, submit: (line: string) => Promise<unknown>): () => void {
  const lines = readline.createInterface({ input: options.stdin, terminal: false });
  lines.on('line', (line) => {
    if (line.trim().length === 0) return;
    submit(line).catch((error: unknown) => {
      if (error instanceof LoginError && error.reason === 'not_a_callback') options.stderr.write(`${error.message}\n`);
    });
  });
  return () => lines.close();
}

async function browserLogin(options: LoginCommandOptions, context: LoginContext): Promise<LoginResult> {
  const timeoutMs = options.timeoutMs ?? BROWSER_LOGIN_TIMEOUT_MS;
  const login = await startBrowserLogin({
    ...context,
    callbackPorts: options.callbackPorts ?? callbackPortsOfConfig(options.config),
    timeoutMs,
    signal: options.signal,
  });
  const out = options.stdout;
  out.write(`Sign in with ChatGPT: open this URL in a browser.\n\n${login.authorizeUrl}\n\n`);
  if (!options.noBrowser) {
    const opened = await Promise.resolve((options.openBrowser ?? openInBrowser)(login.authorizeUrl)).catch(() => false);
    out.write(opened ? 'A browser window should open; if it does not, open the URL above.\n' : 'No browser could be opened here: open the URL above yourself.\n');
  }
  out.write(`Waiting up to ${describeDuration(timeoutMs)} for the sign-in callback on ${login.redirectUri} ...\n`);
  const acceptsPaste = options.noBrowser === true || options.stdin.isTTY === true;
  if (acceptsPaste) {
    out.write(`If the browser runs on another machine, sign in there, then paste here the full address the browser ends on (${login.redirectUri}?code=...) and press Enter.\n`);
  }
  const stopReading = acceptsPaste ? acceptPastedUrls(options, (line) => login.submitCallbackUrl(line)) : () => undefined;
  try {
    return await login.result;
  } finally {
    stopReading();
  }
}

async function deviceLogin(options: LoginCommandOptions, context: LoginContext): Promise<LoginResult> {
  const login = await startDeviceLogin({ ...context, sleep: options.sleep, lifetimeMs: options.deviceLifetimeMs, signal: options.signal });
  const lifetime = describeDuration(options.deviceLifetimeMs ?? DEVICE_CODE_LIFETIME_MS);
  options.stdout.write(
    `To sign in, open this page in a browser and enter the one-time code (it expires in ${lifetime}):\n\n${login.verificationUrl}\n\n    ${login.userCode}\n\n` +
      'Device codes are a common phishing target: never share this code.\nWaiting for approval ...\n',
  );
  return login.result;
}

/**
 * `proxycast login` (interface.md "Sign-in, status and numbers"): the browser flow, `--no-browser` with a pasted
 * callback URL, or `--device`. On success prints the credential id and the file and returns 0; on failure prints
 * what happened to stderr and returns 1 (2 for a bad `--id`), having written nothing.
 */
export async function runLoginCommand(options: LoginCommandOptions): Promise<number> {
  const context: LoginContext = { ...loginContextFromConfig(options.config, options.deps, options.configFile), credentialName: options.id };
  try {
    const result = options.device ? await deviceLogin(options, context) : await browserLogin(options, context);
    printSuccess(options, result);
    return 0;
  } catch (error) {
    const loginError = asLoginError(error, 'authorization_failed', 'The login failed');
    options.stderr.write(`proxycast login: ${loginError.message}\n`);
    return loginError.reason === 'invalid_option' ? 2 : 1;
  }
}
