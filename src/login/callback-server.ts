import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { authorizationCodeFromCallback } from './callback-params.js';
import { failurePage, failureStatus, successPage } from './callback-pages.js';
import { BROWSER_LOGIN_TIMEOUT_MS, callbackRedirectUri, describeDuration } from './constants.js';
import { asLoginError, LoginError } from './login-error.js';

/** How a callback server hands what it received to the login that owns it. */
export interface CallbackServerOptions {
  /** Ports to try in order: `[1455, 1457]` in production, two free ports in tests. */
  ports: readonly number[];
  expectedState: string;
  /** Exchanges and saves the code; its text is shown on the success page, its failure on the error page. */
  completeLogin: (code: string) => Promise<string>;
  /** Called once when the login failed at the callback: wrong state, refusal, timeout, or cancelled by /cancel. */
  failLogin: (error: LoginError) => void;
  /** Default 10 minutes. */
  timeoutMs?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Ask an older login server on a busy port to stop (GET /cancel, as Codex does) before moving on. Default true. */
  cancelOlderServer?: boolean;
}

/** A listening callback server. */
export interface CallbackServer {
  port: number;
  redirectUri: string;
  /** Stops listening and drops every connection; resolves when the port is free. Safe to call more than once. */
  close(): Promise<void>;
}

/** Listens on `port`; false when it is in use, any other error is thrown. */
function listenOn(server: http.Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

/** Asks whatever listens on the port to cancel its login; every failure is ignored. */
async function cancelOlderLogin(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const request = http.get({ host, port, path: '/cancel', timeout: 1_000, agent: false }, (response) => {
      response.resume();
      response.on('close', () => {
        request.destroy();
        resolve();
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve());
  });
}

async function bindFirstFreePort(server: http.Server, host: string, ports: readonly number[], cancelOlder: boolean): Promise<number> {
  for (const port of ports) {
    if (await listenOn(server, host, port)) return port;
    if (!cancelOlder) continue;
    await cancelOlderLogin(host, port);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await delay(100);
      if (await listenOn(server, host, port)) return port;
    }
  }
  throw new LoginError(
    'ports_busy',
    `Cannot wait for the browser's callback: port${ports.length > 1 ? 's' : ''} ${ports.join(' and ')} on ${host} ${ports.length > 1 ? 'are' : 'is'} in use by another program (OpenAI accepts only these callback ports). Free one of them (another login still running?), or use the device-code login. Nothing was saved.`,
  );
}

function respond(response: http.ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  response.end(html);
}

/** Answers the requests of one login's callback server; the first callback, /cancel or timeout decides. */
class CallbackHandler {
  private finished = false;

  constructor(private readonly options: CallbackServerOptions) {}

  /** Ends the login with `error` unless a callback or another failure already ended it. */
  fail(error: LoginError): void {
    if (this.finished) return;
    this.finished = true;
    this.options.failLogin(error);
  }

  handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/cancel' && !this.finished) {
      this.fail(new LoginError('cancelled', 'Login cancelled: a newer login took over the callback port. Nothing was saved.'));
      respond(response, 200, failurePage(new LoginError('cancelled', 'This login was cancelled because a newer one started.')));
      return;
    }
    if (url.pathname !== '/auth/callback' || this.finished) {
      respond(response, 404, failurePage(new LoginError('authorization_failed', 'This address is not part of a running proxycast login.')));
      return;
    }
    void this.handleCallback(url.searchParams, response);
  }

  private async handleCallback(parameters: URLSearchParams, response: http.ServerResponse): Promise<void> {
    let code: string;
    try {
      code = authorizationCodeFromCallback(parameters, this.options.expectedState);
    } catch (error) {
      const loginError = asLoginError(error, 'authorization_failed', 'The callback could not be read');
      this.fail(loginError);
      respond(response, failureStatus(loginError), failurePage(loginError));
      return;
    }
    this.finished = true;
    try {
      respond(response, 200, successPage(await this.options.completeLogin(code)));
    } catch (error) {
      const loginError = asLoginError(error, 'exchange_failed', 'Sign-in could not be completed');
      respond(response, failureStatus(loginError), failurePage(loginError));
    }
  }
}

/**
 * Starts the loopback server that receives the browser's redirect on `/auth/callback` (Codex server.rs): the first
 * free port of `ports`, a success or error page, a timeout, and `/cancel` for a newer login that needs the port.
 * The owner must call `close()` when the login ends, whichever way; the port is then always freed.
 */
export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const host = options.host ?? '127.0.0.1';
  const handler = new CallbackHandler(options);
  const server = http.createServer((request, response) => handler.handle(request, response));
  const port = await bindFirstFreePort(server, host, options.ports, options.cancelOlderServer ?? true);
  const timeoutMs = options.timeoutMs ?? BROWSER_LOGIN_TIMEOUT_MS;
  const timer = setTimeout(() => {
    handler.fail(new LoginError('timeout', `Timed out after ${describeDuration(timeoutMs)} waiting for the browser sign-in. Nothing was saved; start the login again.`));
  }, timeoutMs);
  let closing: Promise<void> | undefined;
  return {
    port,
    redirectUri: callbackRedirectUri(port),
    close: () => (closing ??= closeServer(server, timer)),
  };
}

function closeServer(server: http.Server, timer: NodeJS.Timeout): Promise<void> {
  clearTimeout(timer);
  return new Promise((resolve) => {
    // Why: the page of the request that completed the login may still be on its way; give it a moment, then cut.
    const force = setTimeout(() => server.closeAllConnections(), 1_000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
