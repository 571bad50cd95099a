import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../credentials/atomic-file.js';
import type { QuotaSnapshot } from '../credentials/quota.js';
import type { Logger } from '../logger.js';
import type { CounterSnapshot } from './metrics.js';
import type { TokenUsage } from './usage.js';

/** Per-credential numbers kept across restarts. */
export interface CredentialUsage {
  requests: number;
  successes: number;
  failures: Record<string, number>;
  tokens: TokenUsage;
  /** Tokens of the current UTC day. */
  today: { day: string; tokens: TokenUsage };
  lastUsedAt?: number | undefined;
  lastError?: string | undefined;
  quota?: QuotaSnapshot | undefined;
}

const tokensSchema = z.object({ input: z.number(), output: z.number(), cached: z.number(), reasoning: z.number() });
const windowSchema = z.object({ usedPercent: z.number(), windowMinutes: z.number().optional(), resetsAt: z.number().optional() });
const usageFileSchema = z.object({
  version: z.literal(1),
  counters: z.record(z.string(), z.record(z.string(), z.number())),
  credentials: z.record(
    z.string(),
    z.object({
      requests: z.number(),
      successes: z.number(),
      failures: z.record(z.string(), z.number()),
      tokens: tokensSchema,
      today: z.object({ day: z.string(), tokens: tokensSchema }),
      lastUsedAt: z.number().optional(),
      lastError: z.string().optional(),
      quota: z
        .object({ primary: windowSchema.optional(), secondary: windowSchema.optional(), plan: z.string().optional(), activeLimit: z.string().optional(), capturedAt: z.number() })
        .optional(),
    }),
  ),
});
type UsageFile = z.infer<typeof usageFileSchema>;

const zeroTokens = (): TokenUsage => ({ input: 0, output: 0, cached: 0, reasoning: 0 });
const DAY_MS = 86_400_000;
let cachedDayNumber = Number.NaN;
let cachedDay = '';
/** "YYYY-MM-DD" (UTC) of a time; called on every request, so the string is built once per day, not per call. */
const utcDay = (ms: number): string => {
  const dayNumber = Math.floor(ms / DAY_MS);
  if (dayNumber !== cachedDayNumber) {
    cachedDay = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
    cachedDayNumber = dayNumber;
  }
  return cachedDay;
};

/** Per-credential usage in memory, written to ~/.proxycast/usage.json at most every few seconds and at shutdown. */
export class UsageStore {
  private data: UsageFile = { version: 1, counters: {}, credentials: {} };
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly logger: Logger,
    private readonly counters: () => Promise<CounterSnapshot>,
    private readonly flushDelayMs = 5_000,
  ) {}

  /** Reads the file; a missing or broken one starts from zero (a broken one is kept aside, never overwritten blind). */
  async load(options: { readOnly?: boolean } = {}): Promise<CounterSnapshot> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return {};
    }
    const parsed = usageFileSchema.safeParse((() => { try { return JSON.parse(text) as unknown; } catch { return undefined; } })());
    if (!parsed.success) {
      if (options.readOnly) return {};
      const aside = `${this.file}.broken-${Date.now()}`;
      await fs.rename(this.file, aside).catch(() => undefined);
      this.logger.warn({ file: this.file, movedTo: aside }, 'usage file was unreadable; starting the numbers from zero');
      return {};
    }
    this.data = parsed.data;
    return parsed.data.counters;
  }

  /** The numbers of one credential (created at zero). */
  of(credentialId: string): CredentialUsage {
    let usage = this.data.credentials[credentialId];
    if (!usage) {
      usage = { requests: 0, successes: 0, failures: {}, tokens: zeroTokens(), today: { day: '', tokens: zeroTokens() } };
      this.data.credentials[credentialId] = usage;
    }
    return usage;
  }

  all(): Readonly<Record<string, CredentialUsage>> {
    return this.data.credentials;
  }

  /** Records one finished request of a credential. */
  record(credentialId: string, now: number, outcome: { ok: boolean; failureKind?: string | undefined; error?: string | undefined; tokens?: TokenUsage | undefined; quota?: QuotaSnapshot | undefined }): void {
    const usage = this.of(credentialId);
    usage.requests += 1;
    usage.lastUsedAt = now;
    if (outcome.ok) usage.successes += 1;
    else {
      const kind = outcome.failureKind ?? 'error';
      usage.failures[kind] = (usage.failures[kind] ?? 0) + 1;
      usage.lastError = outcome.error;
    }
    if (outcome.tokens) {
      const day = utcDay(now);
      if (usage.today.day !== day) usage.today = { day, tokens: zeroTokens() };
      for (const key of ['input', 'output', 'cached', 'reasoning'] as const) {
        usage.tokens[key] += outcome.tokens[key];
        usage.today.tokens[key] += outcome.tokens[key];
      }
    }
    if (outcome.quota) usage.quota = outcome.quota;
    this.flushSoon();
  }

  /** Schedules a write within flushDelayMs (one pending write at a time). */
  flushSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushDelayMs);
    this.timer.unref();
  }

  /** Writes now (atomically); used at shutdown. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.writing = this.writing.then(async () => {
      this.data.counters = await this.counters();
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, `${JSON.stringify(this.data)}\n`).catch((error: unknown) => this.logger.warn({ err: error, file: this.file }, 'could not save usage numbers'));
    });
    return this.writing;
  }
}
