import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import { FakeClock } from '../helpers/daemon.js';
import {
  authorizeRedirect,
  authorizeUrlLine,
  canBind,
  freePortPair,
  loginConfig,
  loginDeps,
  loginFiles,
  makeLoginHome,
  startLoginCommand,
  type LoginRun,
} from '../helpers/login-kit.js';
import { startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';

let issuer: MockIssuer;
let deps: Deps;
let dirs: ReturnType<typeof makeLoginHome>;
let ports: [number, number];
let browserOpened: string[];

beforeEach(async () => {
  const clock = new FakeClock();
  issuer = await startMockIssuer({ clock });
  dirs = makeLoginHome();
  deps = loginDeps(dirs.home, clock);
  ports = await freePortPair();
  browserOpened = [];
});

afterEach(async () => {
  await issuer.close();
  await deps.dispatcher.close();
  fs.rmSync(dirs.home, { recursive: true, force: true });
});

/** `proxycast login --no-browser`, with the redirect the user would copy from a browser on another machine. */
async function startNoBrowserLogin(): Promise<{ run: LoginRun; redirect: string }> {
  const run = startLoginCommand(
    { config: loginConfig(issuer), deps },
    { noBrowser: true, callbackPorts: ports, openBrowser: (url) => (browserOpened.push(url), true) },
  );
  const [, authorizeUrl] = await run.waitForOutput(authorizeUrlLine(issuer));
  await run.waitForOutput(/paste here/);
  return { run, redirect: await authorizeRedirect(authorizeUrl ?? '') };
}

describe('proxycast login --no-browser: the callback URL pasted on stdin', () => {
  it('accepts the pasted URL (with whitespace and quotes), saves the login, never opens a browser', async () => {
    const { run, redirect } = await startNoBrowserLogin();

    run.stdin.write(`  "${redirect}"  \n`);

    expect(await run.exitCode).toBe(0);
    expect(browserOpened).toEqual([]);
    expect(run.stdout()).toContain('Credential: alice@example.test\n');
    expect(loginFiles(dirs.loginDir)).toEqual(['alice@example.test.json']);
    expect(issuer.codeExchanges[0]?.body.redirect_uri).toBe(`http://localhost:${ports[0]}/auth/callback`);
    expect(await canBind(ports[0])).toBe(true);
  });

  it('says what is wrong with a line that is not the callback URL and keeps waiting for the right one', async () => {
    const { run, redirect } = await startNoBrowserLogin();

    run.stdin.write('I signed in\n');
    run.stdin.write(`${redirect}\n`);

    expect(await run.exitCode).toBe(0);
    expect(run.stderr()).toContain('That is not the callback URL');
    expect(loginFiles(dirs.loginDir)).toEqual(['alice@example.test.json']);
  });

  it('accepts just the query string of the redirect', async () => {
    const { run, redirect } = await startNoBrowserLogin();

    run.stdin.write(`${new URL(redirect).search}\n`);

    expect(await run.exitCode).toBe(0);
    expect(loginFiles(dirs.loginDir)).toEqual(['alice@example.test.json']);
  });

  it('a pasted URL with another state fails with "State mismatch" and writes nothing', async () => {
    const { run, redirect } = await startNoBrowserLogin();
    const forged = new URL(redirect);
    forged.searchParams.set('state', 'not-this-login');

    run.stdin.write(`${forged.href}\n`);

    expect(await run.exitCode).toBe(1);
    expect(run.stderr()).toContain('State mismatch');
    expect(issuer.codeExchanges).toHaveLength(0);
    expect(loginFiles(dirs.loginDir)).toEqual([]);
    expect(await canBind(ports[0])).toBe(true);
  });

  it('still takes the browser callback when it arrives first', async () => {
    const { run, redirect } = await startNoBrowserLogin();
    const callback = new URL(redirect);
    callback.hostname = '127.0.0.1';

    const page = await fetch(callback);

    expect(page.status).toBe(200);
    expect(await run.exitCode).toBe(0);
    expect(loginFiles(dirs.loginDir)).toEqual(['alice@example.test.json']);
  });
});
