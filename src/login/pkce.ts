import crypto from 'node:crypto';

/** A PKCE pair: the secret verifier the client keeps and the challenge the authorize URL carries. */
export interface PkceCodes {
  codeVerifier: string;
  codeChallenge: string;
}

/** The S256 challenge of a verifier: base64url (no padding) of its SHA-256. */
export function pkceChallengeFor(codeVerifier: string): string {
  return crypto.createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** A fresh PKCE pair as Codex makes it (pkce.rs): the verifier is base64url of 64 random bytes. */
export function createPkceCodes(): PkceCodes {
  const codeVerifier = crypto.randomBytes(64).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallengeFor(codeVerifier) };
}

/** A fresh OAuth state: base64url of 32 random bytes. */
export function createOAuthState(): string {
  return crypto.randomBytes(32).toString('base64url');
}
