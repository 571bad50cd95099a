import type { LoginError } from './login-error.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
}

/** The page the browser sees once the login is saved; it names the credential, never a token. */
export function successPage(description: string): string {
  return page('Signed in to proxycast', `${description} You can close this tab and return to proxycast.`);
}

/** The page the browser sees when the login failed, with the same message the terminal or admin page shows. */
export function failurePage(error: LoginError): string {
  return page(error.reason === 'state_mismatch' ? 'State mismatch' : 'Sign-in failed', error.message);
}

/** The HTTP status of a failure page: the callback itself was wrong (400), refused (403) or could not be used (502). */
export function failureStatus(error: LoginError): number {
  if (error.reason === 'access_denied') return 403;
  if (error.reason === 'state_mismatch' || error.reason === 'authorization_failed') return 400;
  return 502;
}
