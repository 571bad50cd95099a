import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, makeTempHome } from '../helpers/daemon.js';
import { canBind, freePortPair } from '../helpers/login-kit.js';
import { startMockCodex, type MockCodex } from '../helpers/mock-codex.js';
import { startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';
import { chromiumAvailable, launchChromium, startPageDaemon, type PageDaemon } from './helpers.js';

// The admin page in headless Chromium against the real daemon, the loopback mock issuer and the mock Codex backend.

const HAS_CHROMIUM = chromiumAvailable('test/e2e/admin-page.test.ts');
const SCREENSHOT = path.join(import.meta.dirname, 'artifacts', 'admin-page.png');
// Built at run time so no key-shaped literal sits in the repository.
const TEAM_KEY = ['sk', 'proj', 'pagetest', 'abcd', 'wxyz9876'].join('-');
const ALICE = 'alice@example.test';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const row = (page: Page, id: string) => page.locator(`#credentials tbody tr[data-id="${id}"]`);

interface PageRig {
  clock: FakeClock;
  issuer: MockIssuer;
  home: string;
  callbackPort: number;
  daemon: PageDaemon;
  context: BrowserContext;
  page: Page;
  /** Page errors, console errors and failed responses seen so far. */
  problems: string[];
}

/**
 * The daemon (temp HOME: one API-key credential from the config and one broken token file), the mock issuer and
 * mock Codex backend, and a Chromium page that has nothing loaded yet. Everything is undone after the test.
 */
async function startRig(): Promise<PageRig> {
  const clock = new FakeClock(Date.now()); // the page compares times with the browser's own clock
  const issuer = await startMockIssuer({ clock });
  cleanups.push(() => issuer.close());
  const codex: MockCodex = await startMockCodex();
  cleanups.push(() => codex.close());
  const [callbackPort] = await freePortPair();
  const home = makeTempHome({
    'config.yaml': [
      'auth_dir: ~/auth',
      'codex:',
      '  import_cli: false',
      `  chatgpt_base_url: ${codex.baseUrl}`,
      `  oauth_issuer: ${issuer.url}`,
      `  oauth_callback_port: ${callbackPort}`,
      'credential_pool:',
      '  codex:',
      '    - { id: team-key, token_file: keys/team.json }',
      '    - { id: broken, token_file: keys/broken.json }',
      '',
    ].join('\n'),
    'auth/keys/team.json': JSON.stringify({ api_key: TEAM_KEY }),
    'auth/keys/broken.json': '{"access_token": "half-written',
  });
  cleanups.push(async () => fs.rmSync(home, { recursive: true, force: true }));
  const rig = { clock, issuer, home, callbackPort, problems: [] as string[] } as PageRig;
  rig.daemon = await startPageDaemon(home, clock);
  cleanups.push(() => rig.daemon.stop()); // whichever daemon is current at the end

  const chromium = await launchChromium();
  cleanups.push(() => chromium.close());
  rig.context = await chromium.browser.newContext({ viewport: { width: 1360, height: 720 } });
  rig.context.setDefaultTimeout(8_000);
  rig.page = await rig.context.newPage();
  rig.page.on('pageerror', (error) => rig.problems.push(`page error: ${error.message}`));
  rig.page.on('console', (message) => {
    if (message.type() === 'error') rig.problems.push(`console: ${message.text()}`);
  });
  rig.page.on('response', (response) => {
    if (response.status() >= 400) rig.problems.push(`HTTP ${response.status()} ${new URL(response.url()).pathname}`);
  });
  return rig;
}

describe('the admin page in a browser', () => {
  it.skipIf(!HAS_CHROMIUM)(
    'lists the credentials with their states, signs in with "OAuth login", and keeps a disable across a restart',
    async () => {
      const rig = await startRig();
      const { page, context, home, callbackPort, problems } = rig;

      // 1. The credentials and their states.
      await page.goto(`${rig.daemon.url}/ui/`);
      await expect.poll(() => page.title()).toBe('proxycast · Providers');
      const team = row(page, 'team-key');
      await team.locator('[data-state="active"]').waitFor();
      expect(await team.textContent()).toContain('API key sk-...9876');
      expect(await team.textContent()).not.toContain(TEAM_KEY);
      expect(await team.locator('td').nth(1).textContent()).toBe('config');

      const broken = row(page, 'broken');
      await broken.locator('[data-state="invalid"]').waitFor();
      const warning = broken.locator('.reason.bad');
      expect(await warning.isVisible()).toBe(true);
      const warningText = (await warning.textContent()) ?? '';
      expect(warningText).toMatch(/^⚠ /);
      const brokenFile = path.join(home, 'auth', 'keys', 'broken.json');
      expect(warningText).toContain(`token file ${brokenFile}: not valid JSON`);
      const fix = broken.locator('.fix');
      expect(await fix.isVisible()).toBe(true);
      expect(await fix.textContent()).toContain('Fix: correct or replace that file; a change is picked up without a restart');
      expect(await broken.locator('td').first().textContent()).toContain('unreadable token file');
      expect(await page.locator('#summary').textContent()).toBe('1 of 2 credentials usable');

      // 2. "OAuth login": the page starts a login and opens the authorize URL; the mock issuer sends the popup
      //    straight back to the daemon's callback server, which completes the login.
      const popupOpened = context.waitForEvent('page');
      await page.locator('#oauth-login').click();
      const popup = await popupOpened;
      await popup.waitForURL(new RegExp(`^http://localhost:${callbackPort}/auth/callback\\?`));
      await popup.locator('body', { hasText: ALICE }).waitFor();
      await popup.close();

      const alice = row(page, ALICE);
      await alice.locator('[data-state="active"]').waitFor();
      expect(await alice.locator('td').nth(1).textContent()).toBe('login');
      expect(await alice.locator('td').nth(2).textContent()).toContain(ALICE);
      expect(await page.locator('#message').textContent()).toContain(`Signed in: credential ${ALICE} saved to`);
      expect(await page.locator('#login-panel').isHidden()).toBe(true);
      expect(fs.existsSync(path.join(home, 'auth', 'codex', `${ALICE}.json`))).toBe(true);
      expect(await canBind(callbackPort)).toBe(true);

      // 3. Disable the API-key credential, restart the daemon on the same HOME and port, reload: still disabled.
      await team.locator('button[data-action="disable"]').click();
      await team.locator('[data-state="disabled"]').waitFor();
      expect(rig.daemon.runtime.pool.get('team-key')?.disabled).toBe(true);
      const port = Number(new URL(rig.daemon.url).port);
      expect(problems).toEqual([]);
      await rig.daemon.stop();
      rig.daemon = await startPageDaemon(home, rig.clock, port);
      await page.reload();
      problems.length = 0; // a background refresh may have hit the stopped daemon; only the reloaded page counts now
      await team.locator('[data-state="disabled"]').waitFor();
      expect(await team.locator('button[data-action="enable"]').textContent()).toBe('Enable');
      await alice.locator('[data-state="active"]').waitFor();
      await broken.locator('[data-state="invalid"]').waitFor();
      expect(await page.locator('#summary').textContent()).toBe('1 of 3 credentials usable');

      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
    },
    20_000,
  );

  it.skipIf(!HAS_CHROMIUM)(
    'signs in with "Paste callback URL" (refusing text that is not one) and with "Device code login"',
    async () => {
      const rig = await startRig();
      const { page, issuer, problems } = rig;
      await page.goto(`${rig.daemon.url}/ui/`);
      await row(page, 'team-key').waitFor();

      // Pasted callback: the browser is "elsewhere" (this test), the page only gets the address it ended on.
      issuer.identity = { email: 'bob@example.test', accountId: 'acct-bob-0002', planType: 'pro' };
      await page.locator('#paste-callback').click();
      const link = page.locator('#login-panel #authorize-link');
      const authorizeUrl = (await link.getAttribute('href')) ?? '';
      expect(authorizeUrl.startsWith(`${issuer.url}/oauth/authorize?`)).toBe(true);
      // The form names the callback address this login really listens on (not a fixed 1455).
      expect(await page.locator('#login-panel code').textContent()).toBe(`http://localhost:${rig.callbackPort}/auth/callback`);
      const visit = await fetch(authorizeUrl, { redirect: 'manual' });
      await visit.arrayBuffer();
      const callbackUrl = visit.headers.get('location') ?? '';
      expect(callbackUrl).toMatch(new RegExp(`^http://localhost:${rig.callbackPort}/auth/callback\\?code=`));

      await page.screenshot({ path: path.join(path.dirname(SCREENSHOT), 'admin-page-paste.png'), fullPage: true });
      await page.locator('#callback-url').fill('hello');
      await page.locator('#submit-callback').click();
      await page.locator('#message', { hasText: 'That is not the callback URL' }).waitFor();
      expect(await page.locator('#login-panel').isVisible()).toBe(true);

      await page.locator('#callback-url').fill(callbackUrl);
      await page.locator('#submit-callback').click();
      const bob = row(page, 'bob@example.test');
      await bob.locator('[data-state="active"]').waitFor();
      expect(await bob.locator('td').nth(2).textContent()).toBe('bob@example.testpro');
      await page.locator('#message', { hasText: 'Signed in: credential bob@example.test saved to' }).waitFor();
      expect(await page.locator('#login-panel').isHidden()).toBe(true);

      // Device code: the page shows the code; the mock issuer approves it after one "pending" poll.
      issuer.identity = { email: 'carol@example.test', accountId: 'acct-carol-0003', planType: 'team' };
      issuer.device.pendingPolls = 1;
      issuer.device.interval = '0.3';
      await page.locator('#device-login').click();
      await page.locator('#login-panel #user-code').waitFor();
      await page.screenshot({ path: path.join(path.dirname(SCREENSHOT), 'admin-page-device.png'), fullPage: true });
      const userCode = (await page.locator('#login-panel #user-code').textContent()) ?? '';
      expect(userCode).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
      expect(await page.locator('#login-panel a').getAttribute('href')).toBe(`${issuer.url}/codex/device`);
      const carol = row(page, 'carol@example.test');
      await carol.locator('[data-state="active"]').waitFor();
      expect(issuer.devicePolls.map((poll) => poll.user_code)).toEqual([userCode, userCode]);
      await page.locator('#message', { hasText: 'Signed in: credential carol@example.test saved to' }).waitFor();
      expect(await page.locator('#summary').textContent()).toBe('3 of 4 credentials usable');

      // The one refusal the page was meant to get: the pasted "hello".
      expect([...problems].sort()).toEqual([
        expect.stringMatching(/^HTTP 400 \/api\/admin\/login\/[\w-]+\/callback$/),
        expect.stringMatching(/^console: Failed to load resource: .* status of 400/),
      ]);
    },
    20_000,
  );
});
