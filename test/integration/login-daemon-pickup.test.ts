import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freePortPair, loginConfig, loginDeps, makeLoginHome, playBrowser, startLoginCommand } from '../helpers/login-kit.js';
import { startMockIssuer, type MockIssuer } from '../helpers/mock-issuer.js';

let issuer: MockIssuer | undefined;
let daemon: TestDaemon | undefined;

afterEach(async () => {
  await daemon?.stop();
  await issuer?.close();
});

describe('a saved login is a pool credential', () => {
  it('the daemon lists auth_dir/codex/<email>.json as source "login", active, with its account', async () => {
    const clock = new FakeClock();
    issuer = await startMockIssuer({ clock });
    const dirs = makeLoginHome();
    const deps = loginDeps(dirs.home, clock);
    const run = startLoginCommand(
      { config: loginConfig(issuer), deps },
      { callbackPorts: await freePortPair(), openBrowser: (url) => (void playBrowser(url), true) },
    );
    expect(await run.exitCode).toBe(0);
    await deps.dispatcher.close();

    daemon = await startTestDaemon({ home: dirs.home, clock });
    const response = await fetch(`${daemon.url}/api/admin/credentials`);
    const credentials = (await response.json()) as Array<Record<string, unknown>>;

    expect(credentials).toEqual([
      expect.objectContaining({ id: 'alice@example.test', source: 'login', kind: 'oauth', state: 'active', email: 'alice@example.test', account_id: 'acct-alice-0001' }),
    ]);
  });
});
