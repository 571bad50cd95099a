import type { IncomingHttpHeaders } from 'node:http';

/** One rate-limit window as the upstream reported it. */
export interface QuotaWindow {
  usedPercent: number;
  windowMinutes?: number | undefined;
  /** ms since the epoch. */
  resetsAt?: number | undefined;
}

/** The latest quota picture of a credential, from the x-codex-* headers of its last answer or from wham/usage. */
export interface QuotaSnapshot {
  primary?: QuotaWindow | undefined;
  secondary?: QuotaWindow | undefined;
  plan?: string | undefined;
  activeLimit?: string | undefined;
  /** ms since the epoch. */
  capturedAt: number;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(headers: IncomingHttpHeaders, name: string): number | undefined {
  const raw = header(headers, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** The header names of one window, built once (they are looked up on every answer). */
function windowHeaderNames(prefix: string) {
  return { used: `${prefix}-used-percent`, resetAt: `${prefix}-reset-at`, resetAfter: `${prefix}-reset-after-seconds`, minutes: `${prefix}-window-minutes` };
}
const PRIMARY = windowHeaderNames('x-codex-primary');
const SECONDARY = windowHeaderNames('x-codex-secondary');

function windowFromHeaders(headers: IncomingHttpHeaders, names: ReturnType<typeof windowHeaderNames>, now: number): QuotaWindow | undefined {
  const usedPercent = numberHeader(headers, names.used);
  if (usedPercent === undefined) return undefined;
  const resetAt = numberHeader(headers, names.resetAt);
  const resetAfter = numberHeader(headers, names.resetAfter);
  return {
    usedPercent,
    windowMinutes: numberHeader(headers, names.minutes),
    resetsAt: resetAt !== undefined ? resetAt * 1000 : resetAfter !== undefined ? now + resetAfter * 1000 : undefined,
  };
}

/** Reads the x-codex-primary-* / x-codex-secondary-* headers (codex-protocol.md 7.2); undefined when there are none. */
export function quotaFromHeaders(headers: IncomingHttpHeaders, now: number): QuotaSnapshot | undefined {
  const primary = windowFromHeaders(headers, PRIMARY, now);
  const secondary = windowFromHeaders(headers, SECONDARY, now);
  if (!primary && !secondary) return undefined;
  return { primary, secondary, plan: header(headers, 'x-codex-plan-type'), activeLimit: header(headers, 'x-codex-active-limit'), capturedAt: now };
}

/**
 * When a credential's quota is spent: the latest reset among windows at 100 % whose reset is still ahead.
 * Undefined when no window is spent (or a spent window has already reset).
 */
export function quotaExhaustedUntil(quota: QuotaSnapshot | undefined, now: number): number | undefined {
  if (!quota) return undefined;
  let until: number | undefined;
  for (const window of [quota.primary, quota.secondary]) {
    if (!window || window.usedPercent < 100) continue;
    const reset = window.resetsAt ?? quota.capturedAt + 60 * 60 * 1000;
    if (reset > now) until = until === undefined ? reset : Math.max(until, reset);
  }
  return until;
}

/** "5h 12% · 7d 40%": the windows as a short label for status. */
export function quotaLabel(quota: QuotaSnapshot | undefined): string | null {
  if (!quota) return null;
  const parts: string[] = [];
  for (const window of [quota.primary, quota.secondary]) {
    if (!window) continue;
    const minutes = window.windowMinutes;
    const span = minutes === undefined ? '?' : minutes % 1440 === 0 ? `${minutes / 1440}d` : minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
    parts.push(`${span} ${Math.round(window.usedPercent)}%`);
  }
  return parts.join(' · ') || null;
}
