/**
 * Shared rig of the pool tests: a Codex mock and a daemon on one FakeClock, OAuth login files for the given ids
 * (ChatGPT-Account-ID `acct-<id>`), and small clients for chat and the admin API.
 */
import { startMockCodex, type MockCodex, type MockCodexOptions } from '../helpers/mock-codex.js';
import { FakeClock, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { oauthHome } from '../helpers/oauth-home.js';

export interface PoolRig {
  clock: FakeClock;
  codex: MockCodex;
  daemon: TestDaemon;
  /** Access token per credential id. */
  tokens: Record<string, string>;
  /** POST /v1/chat/completions with one user message (and optional extra body fields or headers). */
  chat(content: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<ChatResult>;
  /** The ChatGPT-Account-ID of a credential id. */
  account(id: string): string;
  /** POST /responses calls per credential id (ids never called are 0). */
  counts(): Record<string, number>;
  /** Makes an account answer 429 usage_limit_reached, its quota at 100 % until the reset (headers and wham/usage). */
  limit(id: string, resetsInSeconds: number): void;
  /** Lifts an account's limit at the mock: answers and quota back to normal. */
  lift(id: string): void;
  /** GET /backend-api/wham/usage calls per credential id. */
  probes(): Record<string, number>;
  /** GET /api/admin/credentials, by id. */
  admin(): Promise<Record<string, AdminView>>;
  stop(): Promise<void>;
}

export interface ChatResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON. */
  json: any;
  credential: string | null;
}

export interface AdminView {
  id: string;
  state: string;
  reason: string | null;
  cooldown_until: string | null;
  sticky_sessions: number;
  failures: number;
  requests: number;
}

/** Starts a mock and a daemon serving `ids`; `config` is extra top-level YAML (routing:, upstream:, …). */
export async function startPool(ids: string[], options: { config?: string; mock?: MockCodexOptions } = {}): Promise<PoolRig> {
  const clock = new FakeClock();
  const codex = await startMockCodex({ now: () => clock.now(), contentType: 'always', ...options.mock });
  const made = oauthHome(clock, codex.baseUrl, ids, options.config ?? '');
  const daemon = await startTestDaemon({ home: made.home, clock, logLevel: 'debug' });
  const account = (id: string) => `acct-${id}`;
  return {
    clock,
    codex,
    daemon,
    tokens: made.tokens,
    account,
    async chat(content, extra = {}, headers = {}) {
      const response = await fetch(`${daemon.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content }], ...extra }),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json, credential: response.headers.get('x-proxycast-credential') };
    },
    limit(id, resetsInSeconds) {
      codex.setAccount(account(id), { scenario: 'usage-limit', resetsInSeconds });
      codex.setAccountQuota(account(id), { primaryUsedPercent: 100, primaryResetAt: Math.floor(clock.now() / 1000) + resetsInSeconds });
    },
    lift(id) {
      codex.setAccount(account(id), undefined);
      codex.setAccountQuota(account(id), undefined);
    },
    probes() {
      const usage = codex.calls.filter((call) => call.path.startsWith('/backend-api/wham/usage'));
      return Object.fromEntries(ids.map((id) => [id, usage.filter((call) => call.account === account(id)).length]));
    },
    counts() {
      const byAccount = codex.callsByAccount();
      return Object.fromEntries(ids.map((id) => [id, byAccount[account(id)] ?? 0]));
    },
    async admin() {
      const response = await fetch(`${daemon.url}/api/admin/credentials`);
      const list = (await response.json()) as AdminView[];
      return Object.fromEntries(list.map((view) => [view.id, view]));
    },
    async stop() {
      await daemon.stop();
      await codex.close();
    },
  };
}

/** The text of a non-stream chat answer. */
export function answerText(result: ChatResult): string | undefined {
  return result.json?.choices?.[0]?.message?.content;
}
