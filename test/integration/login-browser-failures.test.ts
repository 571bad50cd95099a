import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import { LoginError } from '../../src/login/login-error.js';
import { startBrowserLogin } from '../../src/login/login-session.js';
import { FakeClock } from '../helpers/daemon.js';
import {
  authorizeRedirect,
  canBind,
  freePortPair,
  loginConfig,
  loginDeps,
  loginFiles,
  makeLoginHome,
  occupyPort,
  playBrowser,
  startLoginCommand,
  type BrowserVisit,
} from '../helpers/login-kit.js';
import { startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';

let issuer: MockIssuer;
let deps: Deps;
let dirs: ReturnType<typeof makeLoginHome>;
let ports: [number, number];

beforeEach(async () => {
  const clock = new FakeClock();
  issuer = await startMockIssuer({ clock });
  dirs = makeLoginHome();
  deps = loginDeps(dirs.home, clock);
  ports = await freePortPair();
});

afterEach(async () => {
  await issuer.close();
  await deps.dispatcher.close();
  fs.rmSync(dirs.home, { recursive: true, force: true });
});

async function failedLogin(extra: { timeoutMs?: number; followAuthorize?: boolean } = {}): Promise<{ code: number; visit: BrowserVisit | undefined; err: string }> {
  let visit: Promise<BrowserVisit> | undefined;
  const run = startLoginCommand(
    { config: loginConfig(issuer), deps },
    {
      callbackPorts: ports,
      timeoutMs: extra.timeoutMs,
      openBrowser: (url) => {
        if (extra.followAuthorize !== false) visit = playBrowser(url);
        return true;
      },
    },
  );
  const code = await run.exitCode;
  return { code, visit: visit ? await visit : undefined, err: run.stderr() };
}

describe('proxycast login (browser) failures: a clear message, exit 1, no file, the port freed', () => {
  it('a callback with the wrong state gets a 400 "State mismatch" page and no token exchange', async () => {
    issuer.forgedState = 'state-of-another-login';

    const result = await failedLogin();

    expect(result.code).toBe(1);
    expect(result.err).toContain('State mismatch');
    expect(result.visit?.status).toBe(400);
    expect(result.visit?.page).toContain('State mismatch');
    expect(issuer.codeExchanges).toHaveLength(0);
    expect(loginFiles(dirs.loginDir)).toEqual([]);
    expect(await canBind(ports[0])).toBe(true);
  });

  it('denied consent says the sign-in was denied', async () => {
    issuer.consent = 'deny';

    const result = await failedLogin();

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/Sign-in was denied \(access_denied: The user declined consent\)/);
    expect(result.visit?.page).toContain('Sign-in was denied');
    expect(loginFiles(dirs.loginDir)).toEqual([]);
    expect(await canBind(ports[0])).toBe(true);
  });

  it('access_denied with missing_codex_entitlement says Codex is not enabled for this workspace', async () => {
    issuer.consent = 'deny_missing_entitlement';

    const result = await failedLogin();

    expect(result.code).toBe(1);
    expect(result.err).toContain('Codex is not enabled for this workspace');
    expect(loginFiles(dirs.loginDir)).toEqual([]);
  });

  it('both callback ports busy: says so, names them, and writes nothing', async () => {
    const releases = await Promise.all(ports.map((port) => occupyPort(port)));
    try {
      const result = await failedLogin();

      expect(result.code).toBe(1);
      expect(result.err).toContain(`ports ${ports[0]} and ${ports[1]} on 127.0.0.1 are in use`);
      expect(result.err).toContain('device-code login');
      expect(issuer.authorizeQueries).toHaveLength(0);
      expect(loginFiles(dirs.loginDir)).toEqual([]);
    } finally {
      await Promise.all(releases.map((release) => release()));
    }
  });

  it('no callback before the timeout: says it timed out', async () => {
    const result = await failedLogin({ timeoutMs: 200, followAuthorize: false });

    expect(result.code).toBe(1);
    expect(result.err).toContain('Timed out after 200 ms waiting for the browser sign-in');
    expect(loginFiles(dirs.loginDir)).toEqual([]);
    expect(await canBind(ports[0])).toBe(true);
  });

  it('a bad --id is refused with exit 2 before any port is bound or request sent', async () => {
    const run = startLoginCommand({ config: loginConfig(issuer), deps }, { id: '../evil', callbackPorts: ports, openBrowser: () => true });

    expect(await run.exitCode).toBe(2);
    expect(run.stderr()).toContain('"../evil" cannot be a credential id');
    expect(run.stdout()).toBe('');
    expect(issuer.authorizeQueries).toHaveLength(0);
  });

  it('a token endpoint that refuses the code is reported with its OAuth error', async () => {
    const login = await startBrowserLogin({
      issuer: issuer.url,
      authDir: dirs.authDir,
      dispatcher: deps.dispatcher,
      clock: deps.clock,
      callbackPorts: ports,
    });
    const redirect = new URL(await authorizeRedirect(login.authorizeUrl));
    redirect.searchParams.set('code', 'code-the-issuer-never-issued');

    const outcome = await login.submitCallbackUrl(redirect.href).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(LoginError);
    expect((outcome as LoginError).reason).toBe('exchange_failed');
    expect((outcome as LoginError).message).toContain('HTTP 400 invalid_grant: unknown or used authorization code');
    expect(loginFiles(dirs.loginDir)).toEqual([]);
    expect(await canBind(login.port)).toBe(true);
  });

  it('a newer login on the same port cancels the older one (GET /cancel, as Codex does) and takes the port', async () => {
    const context = { issuer: issuer.url, authDir: dirs.authDir, dispatcher: deps.dispatcher, clock: deps.clock, callbackPorts: ports };
    const older = await startBrowserLogin(context);

    const newer = await startBrowserLogin(context);

    const olderOutcome = await older.result.catch((error: unknown) => error);
    expect((olderOutcome as LoginError).reason).toBe('cancelled');
    expect(newer.port).toBe(older.port);
    newer.cancel();
    expect(((await newer.result.catch((error: unknown) => error)) as LoginError).reason).toBe('cancelled');
    expect(await canBind(newer.port)).toBe(true);
  });
});
