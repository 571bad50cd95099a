import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAuthorizeUrl } from '../../src/login/authorize-url.js';
import { callbackPortsFor, issuerProblem } from '../../src/login/constants.js';
import { LoginError } from '../../src/login/login-error.js';
import { authorizationCodeFromPastedUrl } from '../../src/login/paste-callback.js';
import { createOAuthState, createPkceCodes, pkceChallengeFor } from '../../src/login/pkce.js';
import { credentialNameProblem, loginFileBaseName, saveLogin } from '../../src/login/save-login.js';

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof LoginError ? error.reason : 'not a LoginError';
  }
  return undefined;
}

describe('PKCE and state (codex-protocol.md 3.1)', () => {
  it('computes the RFC 7636 appendix B challenge', () => {
    expect(pkceChallengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes a base64url verifier of 64 bytes, its challenge, and a 32-byte state, fresh every time', () => {
    const pkce = createPkceCodes();
    expect(Buffer.from(pkce.codeVerifier, 'base64url')).toHaveLength(64);
    expect(pkce.codeVerifier).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(pkce.codeChallenge).toBe(pkceChallengeFor(pkce.codeVerifier));
    expect(Buffer.from(createOAuthState(), 'base64url')).toHaveLength(32);
    expect(createPkceCodes().codeVerifier).not.toBe(pkce.codeVerifier);
  });
});

describe('authorize URL (codex-protocol.md 3.2)', () => {
  it('has the parameters in Codex order, percent-encoded, under <issuer>/oauth/authorize', () => {
    const url = buildAuthorizeUrl({ issuer: 'https://auth.openai.com/', redirectUri: 'http://localhost:1455/auth/callback', codeChallenge: 'CH', state: 'ST' });
    expect(url).toBe(
      'https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann' +
        '&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20offline_access' +
        '&code_challenge=CH&code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true' +
        '&state=ST&originator=codex_cli_rs',
    );
  });

  it('accepts an https issuer and a loopback http mock, nothing else', () => {
    expect(issuerProblem('https://auth.openai.com')).toBeUndefined();
    expect(issuerProblem('http://127.0.0.1:4000')).toBeUndefined();
    expect(issuerProblem('http://auth.example.test')).toContain('must be an https URL');
  });

  it('pairs the configured callback port with the other registered one', () => {
    expect(callbackPortsFor(1455)).toEqual([1455, 1457]);
    expect(callbackPortsFor(1457)).toEqual([1457, 1455]);
    expect(callbackPortsFor(9000)).toEqual([9000, 1457]);
  });
});

describe('pasted callback URL', () => {
  const url = 'http://localhost:1455/auth/callback?code=abc&state=S1';

  it.each([[url], [`  ${url}\n`], [`"${url}"`], [`'${url}'`], [`<${url}>`], ['?code=abc&state=S1'], ['code=abc&state=S1'], ['http://127.0.0.1:1457/auth/callback?state=S1&code=abc']])(
    'reads the code from %j',
    (text) => {
      expect(authorizationCodeFromPastedUrl(text, 'S1')).toBe('abc');
    },
  );

  it('tells apart text that is no callback, a wrong state and a refusal', () => {
    expect(reasonOf(() => authorizationCodeFromPastedUrl('hello there', 'S1'))).toBe('not_a_callback');
    expect(reasonOf(() => authorizationCodeFromPastedUrl('https://example.com/', 'S1'))).toBe('not_a_callback');
    expect(reasonOf(() => authorizationCodeFromPastedUrl(url, 'S2'))).toBe('state_mismatch');
    expect(reasonOf(() => authorizationCodeFromPastedUrl('?state=S1&error=access_denied', 'S1'))).toBe('access_denied');
    expect(reasonOf(() => authorizationCodeFromPastedUrl('?state=S1', 'S1'))).toBe('authorization_failed');
  });
});

describe('login file names', () => {
  it('never carries path separators, "..", or a leading dot', () => {
    expect(loginFileBaseName('alice@example.com')).toBe('alice@example.com');
    expect(loginFileBaseName('../../etc/passwd')).toBe('_._etc_passwd');
    expect(loginFileBaseName('..')).toBeUndefined();
    expect(loginFileBaseName('a\\b/c..d')).toBe('a_b_c.d');
  });

  it('rejects --id names the config could not hold', () => {
    expect(credentialNameProblem('work-account')).toBeUndefined();
    expect(credentialNameProblem('a/b')).toContain('cannot be a credential id');
    expect(credentialNameProblem('..')).toContain('cannot be a credential id');
  });

  it('keeps a hostile email inside auth_dir/codex', async () => {
    const authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxycast-save-'));
    try {
      const saved = await saveLogin({
        authDir,
        secret: { kind: 'oauth', accessToken: 'access-1', refreshToken: 'refresh-1', email: '../../Evil/../x@y.test', lastRefresh: 0 },
      });
      expect(path.dirname(saved.file)).toBe(path.join(authDir, 'codex'));
      expect(path.basename(saved.file)).toBe('_._evil_._x@y.test.json');
    } finally {
      fs.rmSync(authDir, { recursive: true, force: true });
    }
  });
});
