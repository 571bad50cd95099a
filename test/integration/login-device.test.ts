import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import type { Sleep } from '../../src/login/device-code.js';
import { FakeClock } from '../helpers/daemon.js';
import { loginConfig, loginDeps, loginFiles, makeLoginHome, startLoginCommand } from '../helpers/login-kit.js';
import { startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';

let issuer: MockIssuer;
let clock: FakeClock;
let deps: Deps;
let dirs: ReturnType<typeof makeLoginHome>;
let sleeps: number[];
/** The poll sleep moves the fake clock instead of waiting. */
const fakeSleep: Sleep = async (ms) => {
  sleeps.push(ms);
  clock.advance(ms);
};

beforeEach(async () => {
  clock = new FakeClock();
  issuer = await startMockIssuer({ clock });
  dirs = makeLoginHome();
  deps = loginDeps(dirs.home, clock);
  sleeps = [];
});

afterEach(async () => {
  await issuer.close();
  await deps.dispatcher.close();
  fs.rmSync(dirs.home, { recursive: true, force: true });
});

async function deviceLogin(): Promise<{ code: number; out: string; err: string }> {
  const run = startLoginCommand({ config: loginConfig(issuer), deps }, { device: true, sleep: fakeSleep });
  const code = await run.exitCode;
  return { code, out: run.stdout(), err: run.stderr() };
}

describe('proxycast login --device', () => {
  it('shows the verification URL and code, polls through the pending phase at the string interval, and saves the login', async () => {
    issuer.device.pendingPolls = 3;
    issuer.device.interval = '7';

    const result = await deviceLogin();

    expect(result.code).toBe(0);
    expect(result.out).toContain(`\n${issuer.url}/codex/device\n`);
    const userCode = issuer.devicePolls[0]?.user_code;
    expect(typeof userCode).toBe('string');
    expect(result.out).toContain(`    ${String(userCode)}\n`);
    expect(issuer.devicePolls).toHaveLength(4);
    expect(sleeps).toEqual([7000, 7000, 7000]);
    expect(issuer.codeExchanges).toHaveLength(1);
    expect(issuer.codeExchanges[0]).toMatchObject({ outcome: 'issued', body: { redirect_uri: `${issuer.url}/deviceauth/callback` } });
    const saved = JSON.parse(fs.readFileSync(path.join(dirs.loginDir, 'alice@example.test.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ refresh_token: issuer.issued[0]?.refresh_token, account_id: 'acct-alice-0001', last_refresh: new Date(clock.now()).toISOString() });
    expect(result.out).toContain('Credential: alice@example.test\n');
  });

  it('gives up after 15 minutes with "the device code expired" and writes nothing', async () => {
    issuer.device.mode = 'never_approved';
    const start = clock.now();

    const result = await deviceLogin();

    expect(result.code).toBe(1);
    expect(result.err).toContain('The device code expired: it was not approved within 15 minutes');
    expect(clock.now() - start).toBe(15 * 60_000);
    expect(issuer.codeExchanges).toHaveLength(0);
    expect(loginFiles(dirs.loginDir)).toEqual([]);
  });

  it('a 404 from usercode says device-code login is not enabled and how to enable it', async () => {
    issuer.device.mode = 'not_enabled';

    const result = await deviceLogin();

    expect(result.code).toBe(1);
    expect(result.err).toContain('Device-code login is not enabled for this account: enable it in ChatGPT Settings → Security, or use the browser login');
    expect(issuer.devicePolls).toHaveLength(0);
    expect(loginFiles(dirs.loginDir)).toEqual([]);
  });
});
