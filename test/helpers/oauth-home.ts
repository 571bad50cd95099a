import { fakeAccessToken, fakeIdToken, fakeRefreshToken } from './fake-jwt.js';
import { FakeClock, makeTempHome } from './daemon.js';

/** The seed's OAuth token-file format, with fake tokens valid for `lifetimeSeconds` from the clock's now. */
export function oauthTokenFile(clock: FakeClock, options: { lifetimeSeconds?: number; accountId?: string; email?: string; refreshToken?: string } = {}) {
  const identity = { accountId: options.accountId ?? 'acct-test-1', email: options.email ?? 'user@example.test' };
  const accessToken = fakeAccessToken({ nowMs: clock.now(), lifetimeSeconds: options.lifetimeSeconds ?? 7 * 24 * 3600, identity });
  return {
    accessToken,
    text: JSON.stringify({
      access_token: accessToken,
      refresh_token: options.refreshToken ?? fakeRefreshToken(),
      expires_at: new Date(clock.now() + (options.lifetimeSeconds ?? 7 * 24 * 3600) * 1000).toISOString(),
      token_type: 'Bearer',
      id_token: fakeIdToken({ nowMs: clock.now(), issuer: 'https://auth.openai.com', clientId: 'app_EMoamEEZ73f0CkXaXp7hrann', identity }),
    }),
  };
}

/** A temp HOME whose config points OAuth credentials at a mock Codex backend, with one login file per id. */
export function oauthHome(clock: FakeClock, codexBaseUrl: string, ids: string[], extraConfig = ''): { home: string; tokens: Record<string, string> } {
  const files: Record<string, string> = {
    'config.yaml': `auth_dir: ~/auth\ncodex:\n  import_cli: false\n  chatgpt_base_url: ${codexBaseUrl}\n${extraConfig}`,
  };
  const tokens: Record<string, string> = {};
  ids.forEach((id, index) => {
    const file = oauthTokenFile(clock, { accountId: `acct-${id}`, email: `${id}@example.test` });
    files[`auth/codex/${id}.json`] = file.text;
    tokens[id] = file.accessToken;
    void index;
  });
  return { home: makeTempHome(files), tokens };
}
