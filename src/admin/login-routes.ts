import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ProxyError } from '../errors.js';
import { LoginError } from '../login/login-error.js';
import { callbackPortsOfConfig, loginContextFromConfig, startBrowserLogin, startDeviceLogin, type LoginResult } from '../login/login-session.js';
import type { Runtime } from '../runtime.js';
import { addNewLoginCredentials } from '../watchers.js';

interface LoginSessionEntry {
  kind: 'browser' | 'device';
  status: 'pending' | 'done' | 'failed';
  result?: LoginResult;
  error?: string;
  submit?: (text: string) => Promise<LoginResult>;
  cancel: () => void;
  /** Settles once the outcome is recorded: on success, after the credential joined the pool. */
  settled?: Promise<'done' | 'failed'>;
}

const SETTLED_SESSION_TTL_MS = 10 * 60 * 1000;

const startSchema = z.object({ id: z.string().min(1).optional() }).optional();
const callbackSchema = z.object({ url: z.string().min(1) });

function parseStart(body: unknown): { id?: string | undefined } | undefined {
  const parsed = startSchema.safeParse(body ?? undefined);
  if (!parsed.success) throw ProxyError.invalidRequest('Send {} or {"id": "<credential id>"}.', 'id');
  return parsed.data;
}

function loginFailure(error: unknown): ProxyError {
  const message = error instanceof LoginError || error instanceof Error ? error.message : String(error);
  return new ProxyError({ status: 400, type: 'invalid_request_error', code: 'invalid_request', message: `Login failed: ${message}` });
}

/** The sign-in API behind the admin page: browser login (with pasted callback) and device-code login. */
export function registerLoginRoutes(admin: FastifyInstance, runtime: Runtime): void {
  const sessions = new Map<string, LoginSessionEntry>();
  const track = (entry: LoginSessionEntry, result: Promise<LoginResult>): string => {
    const id = crypto.randomBytes(12).toString('base64url');
    sessions.set(id, entry);
    // A settled session is kept a while for the page to read, then dropped.
    void result.catch(() => undefined).finally(() => setTimeout(() => sessions.delete(id), SETTLED_SESSION_TTL_MS).unref());
    const fail = (error: unknown): 'failed' => {
      entry.status = 'failed';
      entry.error = error instanceof Error ? error.message : String(error);
      return entry.status;
    };
    // `done` only once the credential is in the pool, so whoever sees it can list it and chat through it at once.
    entry.settled = result.then(async (saved) => {
      // Signing in under an id removed earlier brings it back.
      if (runtime.adminState.isRemoved(saved.credentialId)) await runtime.adminState.forget(saved.credentialId);
      await addNewLoginCredentials(runtime).catch((error: unknown) => {
        throw new Error(`Signed in and saved to ${saved.file}, but the credential could not join the pool: ${error instanceof Error ? error.message : String(error)}`);
      });
      await runtime.reloadTokenFileById(saved.credentialId);
      entry.result = saved;
      entry.status = 'done';
      return entry.status;
    }).catch(fail);
    return id;
  };
  const context = (name: string | undefined) => {
    const config = runtime.config();
    return { ...loginContextFromConfig(config, runtime.deps, runtime.loaded.file), authDir: runtime.authDir, credentialName: name };
  };

  admin.post('/login/browser', async (request) => {
    const body = parseStart(request.body);
    // One browser login at a time: the callback port is shared.
    for (const entry of sessions.values()) if (entry.kind === 'browser' && entry.status === 'pending') entry.cancel();
    const login = await startBrowserLogin({ ...context(body?.id), callbackPorts: callbackPortsOfConfig(runtime.config()) }).catch((error: unknown) => {
      throw loginFailure(error);
    });
    const session = track({ kind: 'browser', status: 'pending', submit: login.submitCallbackUrl, cancel: login.cancel }, login.result);
    return { session, authorize_url: login.authorizeUrl, redirect_uri: login.redirectUri };
  });

  admin.post('/login/device', async (request) => {
    const body = parseStart(request.body);
    const login = await startDeviceLogin(context(body?.id)).catch((error: unknown) => {
      throw loginFailure(error);
    });
    const session = track({ kind: 'device', status: 'pending', cancel: login.cancel }, login.result);
    return { session, verification_url: login.verificationUrl, user_code: login.userCode, expires_at: new Date(login.expiresAt).toISOString() };
  });

  const find = (id: string): LoginSessionEntry => {
    const entry = sessions.get(id);
    if (!entry) throw new ProxyError({ status: 404, type: 'not_found_error', code: 'not_found', message: 'No such login; start a new one.', param: 'session' });
    return entry;
  };

  admin.get<{ Params: { session: string } }>('/login/:session', async (request) => {
    const entry = find(request.params.session);
    return { status: entry.status, credential_id: entry.result?.credentialId ?? null, file: entry.result?.file ?? null, email: entry.result?.email ?? null, error: entry.error ?? null };
  });

  admin.post<{ Params: { session: string } }>('/login/:session/callback', async (request) => {
    const entry = find(request.params.session);
    const parsed = callbackSchema.safeParse(request.body);
    if (!parsed.success) throw ProxyError.invalidRequest("Send {\"url\": \"<the full callback URL>\"}.", 'url');
    if (!entry.submit || entry.status !== 'pending') throw ProxyError.invalidRequest('This login is not waiting for a callback URL; start a new one.', 'session');
    const saved = await entry.submit(parsed.data.url).catch((error: unknown) => {
      throw loginFailure(error);
    });
    if ((await entry.settled) === 'failed') throw loginFailure(entry.error);
    return { status: 'done', credential_id: saved.credentialId, file: saved.file };
  });

  admin.delete<{ Params: { session: string } }>('/login/:session', async (request) => {
    find(request.params.session).cancel();
    return { status: 'cancelled' };
  });
}
