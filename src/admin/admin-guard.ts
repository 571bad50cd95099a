import type { FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';
import { clientKey, hostName, isLoopbackAddress, isLoopbackName, keyMatches } from '../http/client-auth.js';

/**
 * The admin API and page answer loopback clients (addressed by a loopback Host name), or any client that sends
 * server.admin_key. State-changing calls must also be same-origin: a browser page elsewhere cannot drive them (CSRF).
 */
export function checkAdmin(request: FastifyRequest, adminKey: string | undefined): void {
  const key = clientKey(request);
  const hasAdminKey = adminKey !== undefined && key !== undefined && keyMatches(key, [adminKey]);
  const loopback = isLoopbackAddress(request.socket.remoteAddress) && isLoopbackName(hostName(request.headers.host ?? ''));
  if (!hasAdminKey && !loopback) throw ProxyError.adminForbidden();
  if (request.method !== 'GET' && request.method !== 'HEAD' && !isSameOrigin(request)) throw ProxyError.adminForbidden();
}

/** True when Origin (or Sec-Fetch-Site) says the call comes from our own page, or from a non-browser client. */
export function isSameOrigin(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
