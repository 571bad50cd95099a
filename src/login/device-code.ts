import { setTimeout as delay } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import type { Clock } from '../deps.js';
import { CODEX_CLIENT_ID, CODEX_ORIGINATOR, DEVICE_CODE_LIFETIME_MS, describeDuration, issuerEndpoint } from './constants.js';
import { LoginError } from './login-error.js';

/** Waits `ms` (rejecting when `signal` aborts); tests pass one that moves a fake clock instead. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep. */
export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal ? { signal } : undefined);
};

/** Where the device-code calls go and how they wait. */
export interface DeviceCodeContext {
  issuer: string;
  dispatcher: Dispatcher;
  clock: Clock;
}

/** A device code the user is asked to enter. */
export interface DeviceCode {
  deviceAuthId: string;
  userCode: string;
  /** `<issuer>/codex/device`, where the user enters the code. */
  verificationUrl: string;
  /** The poll interval the issuer asked for. */
  intervalMs: number;
  /** ms since the epoch; after it the code is given up. */
  expiresAt: number;
  /** How long the code lives (15 minutes unless configured). */
  lifetimeMs: number;
}

/** What an approved device code yields: a code to exchange with the issuer's own verifier. */
export interface DeviceAuthorization {
  authorizationCode: string;
  codeVerifier: string;
  codeChallenge: string;
}

async function postJson(
  context: DeviceCodeContext,
  path: string,
  body: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ status: number; json: unknown }> {
  const response = await request(issuerEndpoint(context.issuer, path), {
    method: 'POST',
    signal,
    dispatcher: context.dispatcher,
    headers: { 'content-type': 'application/json', accept: 'application/json', originator: CODEX_ORIGINATOR },
    body: JSON.stringify(body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, json };
}

function stringField(json: unknown, ...keys: string[]): string | undefined {
  if (!json || typeof json !== 'object') return undefined;
  for (const key of keys) {
    const value = (json as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.length > 0) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** `interval` arrives as a string of seconds (device_code_auth.rs); 5 s when missing or unreadable. */
function intervalMsFrom(json: unknown): number {
  const seconds = Number.parseFloat(stringField(json, 'interval') ?? '');
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5_000;
}

function unreachable(context: DeviceCodeContext, error: unknown): LoginError {
  const detail = error instanceof Error ? error.message : String(error);
  return new LoginError('device_failed', `Could not reach ${context.issuer} for the device-code login (${detail}). Nothing was saved.`);
}

function cancelledDeviceLogin(): LoginError {
  return new LoginError('cancelled', 'The device-code login was cancelled. Nothing was saved.');
}

/**
 * Asks for a device code (codex-protocol.md 3.6): POST `<issuer>/api/accounts/deviceauth/usercode` with the
 * client id. A 404 means device-code login is not enabled for the account (LoginError `device_not_enabled`).
 */
export async function requestDeviceCode(context: DeviceCodeContext, lifetimeMs = DEVICE_CODE_LIFETIME_MS): Promise<DeviceCode> {
  const answer = await postJson(context, '/api/accounts/deviceauth/usercode', { client_id: CODEX_CLIENT_ID }).catch((error: unknown) => {
    throw unreachable(context, error);
  });
  if (answer.status === 404) {
    throw new LoginError(
      'device_not_enabled',
      'Device-code login is not enabled for this account: enable it in ChatGPT Settings → Security, or use the browser login. Nothing was saved.',
    );
  }
  const deviceAuthId = stringField(answer.json, 'device_auth_id');
  const userCode = stringField(answer.json, 'user_code', 'usercode');
  if (answer.status !== 200 || !deviceAuthId || !userCode) {
    throw new LoginError('device_failed', `The issuer did not hand out a device code (HTTP ${answer.status}). Nothing was saved; try the browser login.`);
  }
  return {
    deviceAuthId,
    userCode,
    verificationUrl: issuerEndpoint(context.issuer, '/codex/device'),
    intervalMs: intervalMsFrom(answer.json),
    expiresAt: context.clock.now() + lifetimeMs,
    lifetimeMs,
  };
}

/** One poll: the authorization when approved, undefined while pending (403 or 404), LoginError otherwise. */
async function pollOnce(context: DeviceCodeContext, deviceCode: DeviceCode, signal?: AbortSignal): Promise<DeviceAuthorization | undefined> {
  const body = { device_auth_id: deviceCode.deviceAuthId, user_code: deviceCode.userCode };
  const answer = await postJson(context, '/api/accounts/deviceauth/token', body, signal).catch((error: unknown) => {
    if (signal?.aborted) throw cancelledDeviceLogin();
    throw unreachable(context, error);
  });
  if (answer.status === 403 || answer.status === 404) return undefined;
  const authorizationCode = stringField(answer.json, 'authorization_code');
  const codeVerifier = stringField(answer.json, 'code_verifier');
  const codeChallenge = stringField(answer.json, 'code_challenge') ?? '';
  if (answer.status !== 200 || !authorizationCode || !codeVerifier) {
    throw new LoginError('device_failed', `The device-code login failed: the issuer answered the poll with HTTP ${answer.status}. Nothing was saved.`);
  }
  return { authorizationCode, codeVerifier, codeChallenge };
}

/**
 * Polls `<issuer>/api/accounts/deviceauth/token` every interval until the user approves the code, and gives up at
 * its expiry with LoginError `device_expired`. Aborting `signal` stops it with `cancelled`.
 */
export async function waitForDeviceAuthorization(
  context: DeviceCodeContext,
  deviceCode: DeviceCode,
  options: { sleep: Sleep; signal?: AbortSignal | undefined },
): Promise<DeviceAuthorization> {
  for (;;) {
    if (options.signal?.aborted) throw cancelledDeviceLogin();
    const authorization = await pollOnce(context, deviceCode, options.signal);
    if (authorization) return authorization;
    const remaining = deviceCode.expiresAt - context.clock.now();
    if (remaining <= 0) {
      throw new LoginError('device_expired', `The device code expired: it was not approved within ${describeDuration(deviceCode.lifetimeMs)}. Nothing was saved; start the device login again.`);
    }
    await options.sleep(Math.min(deviceCode.intervalMs, remaining), options.signal).catch(() => undefined);
  }
}
