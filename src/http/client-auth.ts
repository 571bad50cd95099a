import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The host part of a Host header ("localhost:8999" → "localhost", "[::1]:8999" → "[::1]"). */
export function hostName(hostHeader: string): string {
  const trimmed = hostHeader.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  return trimmed.split(':')[0] ?? '';
}

/** True for localhost, *.localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackName(name: string): boolean {
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  return /^127(\.\d{1,3}){3}$/.test(name);
}

/** True for a loopback socket address (IPv4, IPv6 or IPv4-mapped IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** The client key of a request: "Authorization: Bearer <key>" or "x-api-key: <key>". */
export function clientKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}

/** Constant-time membership test, so a wrong key's timing says nothing about the right one. */
export function keyMatches(candidate: string, keys: readonly string[]): boolean {
  const candidateHash = crypto.createHash('sha256').update(candidate).digest();
  let match = false;
  for (const key of keys) {
    const keyHash = crypto.createHash('sha256').update(key).digest();
    if (crypto.timingSafeEqual(candidateHash, keyHash)) match = true;
  }
  return match;
}

/**
 * The client check for proxied endpoints: with server.api_keys, a listed key is required; without, any key is
 * accepted but the Host header must be a loopback name (DNS-rebinding guard).
 */
export function checkClient(request: FastifyRequest, apiKeys: readonly string[]): void {
  if (apiKeys.length > 0) {
    const key = clientKey(request);
    if (!key || !keyMatches(key, apiKeys)) throw ProxyError.invalidApiKey();
    return;
  }
  const host = request.headers.host ?? '';
  if (!isLoopbackName(hostName(host))) throw ProxyError.forbiddenHost(host);
}
