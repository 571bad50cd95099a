/**
 * A real loopback HTTP server that plays the ChatGPT Codex backend (codex-protocol.md 5-7). It enforces the
 * backend's rejection rules (5.4) with its `{"detail":…}` messages, answers by model name (TensorZero dummy style,
 * see SCENARIOS), sends `event:`/`data:` SSE frames with the x-codex-* quota headers, omits Content-Type on some
 * answers as the real backend does, and records every call (and whether the client hung up early).
 *
 * Per account (the ChatGPT-Account-ID header, or the bearer token) a test can override the answer — a scenario, a
 * transport fault, a JSON error, a held answer — and the quota, so one credential of a pool is limited or failing
 * while another answers (see AccountBehaviour); callsByAccount() counts the calls per account.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  answerFor, catalogEntry, encodeSse, MOCK_MODELS, quotaHeaders, rejectionOf, scenarioOf, usageBody,
  type Answer, type Json, type MockQuota, type Scenario,
} from './mock-codex-answers.js';

export {
  ECHO_PREFIX, encodeSse, MOCK_MODELS, MOCK_TOOL_CALLS, readResponsesFixture, rejectionOf, SCENARIOS,
  type MockQuota, type Scenario,
} from './mock-codex-answers.js';

/** One request the mock received. */
export interface RecordedCall {
  method: string;
  /** Path with query, e.g. /backend-api/codex/responses. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body: unknown;
  /** The status the mock answered (0 when it dropped or stalled the connection instead). */
  status: number;
  /** The scenario answered with (POST /responses only): the model name's, or the account's override. */
  scenario?: Scenario;
  /** The ChatGPT-Account-ID header, when there was one. */
  account?: string;
  /** The transport fault the account's behaviour played instead of an answer. */
  fault?: AccountFault;
  /** True when the client closed the connection before the mock had finished its answer. */
  closedEarly: boolean;
}

/** Transport faults: close before any byte, close after the 200 headers, never answer, go silent after some text. */
export type AccountFault = 'drop' | 'drop-after-headers' | 'stall' | 'stall-after-output';

/** How one account answers POST /responses instead of by model name. Everything optional. */
export interface AccountBehaviour {
  /** Answer with this scenario (e.g. 'usage-limit', 'error-500', 'cut-after'; for a slow answer use `pauseMs`). */
  scenario?: Scenario;
  /** A transport fault instead of an answer. */
  fault?: AccountFault;
  /** A JSON answer with this status and body instead (e.g. a 400 the client caused). */
  reply?: { status: number; body: Json };
  /** `response.failed` before any output with this error (sets the scenario to fail-before). */
  failBefore?: { code: string; message: string };
  /** usage-limit: seconds until the reset (default 3600); the 429's x-codex headers say 100 % until then. */
  resetsInSeconds?: number;
  /** Pause between SSE events (ms). */
  pauseMs?: number;
  /** Hold the answer until releaseHeld() (to act while a request is in flight). */
  hold?: boolean;
  /** Only for the next `times` calls, then the account answers by model name again. */
  times?: number;
}

/** Options of startMockCodex; all optional. */
export interface MockCodexOptions {
  /** When non-empty, any other bearer token gets 401 token_expired. Default: every token is accepted. */
  acceptedTokens?: Iterable<string>;
  /** When SSE answers carry Content-Type: text/event-stream. Default 'alternate': the 1st, 3rd, … omit it. */
  contentType?: 'always' | 'never' | 'alternate';
  /** Pause between events for models containing `slow` (ms, default 100). */
  slowDelayMs?: number;
  /** More slugs for the catalog; their scenario is still chosen by name. */
  extraModels?: string[];
  /** Slugs that replay test/fixtures/responses/<name>.jsonl verbatim, e.g. { 'mock-fixture-text': 'text.1' }. */
  fixtureModels?: Record<string, string>;
  quota?: Partial<MockQuota>;
  /** The mock's clock in ms (reset times, created_at); pass the daemon's FakeClock so both agree. Default Date.now. */
  now?: () => number;
  /** Behaviour per account id (or bearer token) from the start; see setAccount. */
  accounts?: Record<string, AccountBehaviour>;
}

/** A running mock. */
export interface MockCodex {
  /** e.g. http://127.0.0.1:PORT/backend-api/codex (POST /responses, GET /models live under it). */
  baseUrl: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  calls: RecordedCall[];
  /** Mutable: add or delete tokens to simulate refresh and revocation. */
  acceptedTokens: Set<string>;
  /** How many answers the client abandoned before they were complete. */
  readonly closedEarly: number;
  /** The calls to POST /responses only. */
  responsesCalls(): RecordedCall[];
  /** POST /responses calls per ChatGPT-Account-ID (accounts never called are absent). */
  callsByAccount(): Record<string, number>;
  setQuotaHeaders(quota: Partial<MockQuota>): void;
  /** Sets (or with undefined clears) how one account — ChatGPT-Account-ID or bearer token — answers. */
  setAccount(account: string, behaviour: AccountBehaviour | undefined): void;
  /** Sets (or clears) the quota one account's x-codex headers and /wham/usage report, over the mock's own. */
  setAccountQuota(account: string, quota: Partial<MockQuota> | undefined): void;
  /** Lets every held answer go; resolves at once when none is held. */
  releaseHeld(): void;
  /** How many answers are held right now. */
  readonly held: number;
  close(): Promise<void>;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function bearerOf(headers: Record<string, string>): string | undefined {
  return /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
}

/** 401 without a bearer token or with one not accepted, 400 without ChatGPT-Account-ID. */
function authFailure(headers: Record<string, string>, acceptedTokens: Set<string>): { status: number; body: Json } | undefined {
  const bearer = bearerOf(headers);
  if (!bearer) return { status: 401, body: { detail: 'Missing Authorization header: send "Authorization: Bearer <access token>".' } };
  if (acceptedTokens.size > 0 && !acceptedTokens.has(bearer)) {
    const error = { message: 'Provided authentication token is expired. Please try signing in again.', code: 'token_expired' };
    return { status: 401, body: { error, status: 401 } };
  }
  return headers['chatgpt-account-id'] ? undefined : { status: 400, body: { detail: 'Missing ChatGPT-Account-ID header' } };
}

type Cuttable = http.ServerResponse & { cutByMock?: boolean };

/** Writes the frames (pausing between them), stops when the client leaves, and resets the socket for `cut` answers. */
async function writeSse(res: http.ServerResponse, reply: Extract<Answer, { kind: 'sse' }>, pauseMs: number, stallAfter?: number): Promise<void> {
  let clientGone = false;
  res.on('close', () => (clientGone = true));
  for (const [index, event] of reply.events.entries()) {
    if (clientGone) return;
    if (stallAfter !== undefined && index === stallAfter) return; // silent from here on: the client's idle timeout must act
    res.write(encodeSse([event]));
    if (pauseMs > 0) await delay(pauseMs);
  }
  if (!reply.cut) {
    res.end();
    return;
  }
  (res as Cuttable).cutByMock = true;
  await delay(20); // let the written frames leave before the reset
  res.socket?.destroy();
}

/** Starts the mock on 127.0.0.1, port 0. */
export async function startMockCodex(options: MockCodexOptions = {}): Promise<MockCodex> {
  const clock = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(clock() / 1000);
  const start = nowSeconds();
  let quota: MockQuota = {
    primaryUsedPercent: 12.5, primaryWindowMinutes: 300, primaryResetAt: start + 3600,
    secondaryUsedPercent: 40, secondaryWindowMinutes: 10080, secondaryResetAt: start + 3 * 86400, planType: 'plus',
    ...options.quota,
  };
  const fixtureModels = options.fixtureModels ?? {};
  const catalog = [...MOCK_MODELS, ...(options.extraModels ?? []), ...Object.keys(fixtureModels)];
  const calls: RecordedCall[] = [];
  const acceptedTokens = new Set(options.acceptedTokens ?? []);
  const behaviours = new Map<string, AccountBehaviour>(Object.entries(options.accounts ?? {}));
  const accountQuotas = new Map<string, Partial<MockQuota>>();
  let waiting: Array<() => void> = [];
  let sseAnswers = 0;
  let requestCount = 0;

  const keysOf = (headers: Record<string, string>) => [headers['chatgpt-account-id'], bearerOf(headers)].filter((key): key is string => Boolean(key));
  const quotaFor = (headers: Record<string, string>): MockQuota => {
    const key = keysOf(headers).find((candidate) => accountQuotas.has(candidate));
    return key ? { ...quota, ...accountQuotas.get(key) } : quota;
  };
  /** The account's behaviour for this call, counting down `times`. */
  const behaviourFor = (headers: Record<string, string>): AccountBehaviour | undefined => {
    const key = keysOf(headers).find((candidate) => behaviours.has(candidate));
    const behaviour = key ? behaviours.get(key) : undefined;
    if (key && behaviour?.times !== undefined) {
      if (behaviour.times <= 1) behaviours.delete(key);
      else behaviours.set(key, { ...behaviour, times: behaviour.times - 1 });
    }
    return behaviour;
  };

  async function answer(call: RecordedCall, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    requestCount += 1;
    const accountQuota = quotaFor(call.headers);
    const headers = { ...quotaHeaders(accountQuota, nowSeconds()), 'x-oai-request-id': `req_mock_${requestCount}` };
    const json = (status: number, body: Json) => {
      call.status = status;
      res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://mock');
    const refused = authFailure(call.headers, acceptedTokens);
    if (refused) return json(refused.status, refused.body);
    if (req.method === 'GET' && url.pathname === '/backend-api/codex/models') {
      res.setHeader('etag', 'W/"mock-models-1"');
      return json(200, { models: catalog.map((slug, index) => catalogEntry(slug, index)) });
    }
    if (req.method === 'GET' && url.pathname === '/backend-api/wham/usage') return json(200, usageBody(accountQuota, nowSeconds()));
    if (req.method !== 'POST' || url.pathname !== '/backend-api/codex/responses') return json(404, { detail: 'Not Found' });
    const rejection = rejectionOf(call.body);
    if (rejection) return json(400, { detail: rejection });
    const body = call.body as Json;
    const model = String(body.model);
    if (!catalog.includes(model)) return json(400, { detail: `The '${model}' model is not supported when using Codex with a ChatGPT account.` });
    const behaviour = behaviourFor(call.headers) ?? {};
    if (behaviour.hold) await new Promise<void>((resolve) => waiting.push(resolve));
    if (res.destroyed) return;
    call.scenario = behaviour.failBefore ? 'fail-before' : (behaviour.scenario ?? scenarioOf(model, fixtureModels));
    if (behaviour.fault) call.fault = behaviour.fault;
    if (behaviour.fault === 'drop') return void res.socket?.destroy();
    if (behaviour.fault === 'stall') return; // never answers; the client's first-byte timeout must act
    if (behaviour.reply) return json(behaviour.reply.status, behaviour.reply.body);
    const reply = answerFor(call.scenario, body, { fixtureName: fixtureModels[model], nowSeconds: nowSeconds(), resetsInSeconds: behaviour.resetsInSeconds, failure: behaviour.failBefore });
    if (reply.kind === 'json') {
      if (reply.status === 429) {
        const resetAt = nowSeconds() + (behaviour.resetsInSeconds ?? 3600);
        Object.assign(headers, quotaHeaders({ ...accountQuota, primaryUsedPercent: 100, primaryResetAt: resetAt }, nowSeconds()), { 'x-codex-active-limit': 'codex' });
      }
      return json(reply.status, reply.body);
    }
    sseAnswers += 1;
    const omitType = options.contentType === 'never' || ((options.contentType ?? 'alternate') === 'alternate' && sseAnswers % 2 === 1);
    call.status = 200;
    res.writeHead(200, { ...headers, ...(omitType ? {} : { 'content-type': 'text/event-stream' }), 'cache-control': 'no-cache' });
    if (behaviour.fault === 'drop-after-headers') {
      res.flushHeaders();
      (res as Cuttable).cutByMock = true;
      await delay(20);
      return void res.socket?.destroy();
    }
    const stallAfter = behaviour.fault === 'stall-after-output' ? Math.min(reply.events.length, 4) : undefined;
    await writeSse(res, reply, behaviour.pauseMs ?? (model.includes('slow') ? (options.slowDelayMs ?? 100) : 0), stallAfter);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? (JSON.parse(raw) as unknown) : undefined;
      } catch {
        body = undefined;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
      const call: RecordedCall = { method: req.method ?? '', path: req.url ?? '', headers, body, status: 0, closedEarly: false };
      if (headers['chatgpt-account-id']) call.account = headers['chatgpt-account-id'];
      calls.push(call);
      res.on('close', () => {
        if (!res.writableFinished && !(res as Cuttable).cutByMock && call.fault !== 'drop') call.closedEarly = true;
      });
      answer(call, req, res).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const responsesCalls = () => calls.filter((call) => call.method === 'POST' && call.path.startsWith('/backend-api/codex/responses'));
  return {
    baseUrl: `${origin}/backend-api/codex`,
    origin,
    calls,
    acceptedTokens,
    get closedEarly() {
      return calls.filter((call) => call.closedEarly).length;
    },
    responsesCalls,
    callsByAccount() {
      const counts: Record<string, number> = {};
      for (const call of responsesCalls()) if (call.account) counts[call.account] = (counts[call.account] ?? 0) + 1;
      return counts;
    },
    setQuotaHeaders(update) {
      quota = { ...quota, ...update };
    },
    setAccount(account, behaviour) {
      if (behaviour) behaviours.set(account, behaviour);
      else behaviours.delete(account);
    },
    setAccountQuota(account, update) {
      if (update) accountQuotas.set(account, update);
      else accountQuotas.delete(account);
    },
    releaseHeld() {
      const released = waiting;
      waiting = [];
      for (const release of released) release();
    },
    get held() {
      return waiting.length;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        const released = waiting;
        waiting = [];
        for (const release of released) release();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
