import type { CredentialView } from '../admin/credential-view.js';

function relative(iso: string | null, now: number): string {
  if (!iso) return '-';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const magnitude = Math.abs(seconds);
  const text = magnitude < 90 ? `${magnitude}s` : magnitude < 5400 ? `${Math.round(magnitude / 60)}m` : magnitude < 172_800 ? `${Math.round(magnitude / 3600)}h` : `${Math.round(magnitude / 86_400)}d`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** The `proxycast status` table: one row per credential, then the reason (with the fix) under any row that has one. */
export function formatStatusTable(views: readonly CredentialView[], now: number, origin: string): string {
  if (views.length === 0) return `No credentials (${origin}). Run \`proxycast login\`, or sign in with \`codex login\` and restart proxycast.\n`;
  const header = ['ID', 'SOURCE', 'KIND', 'STATE', 'ACCOUNT', 'EXPIRES', 'COOLDOWN', 'QUOTA', 'TOKENS TODAY/TOTAL', 'REQUESTS'];
  const rows = views.map((view) => [
    view.id,
    view.source,
    view.kind ?? '-',
    view.state,
    view.email ?? view.account_id ?? view.masked_key ?? '-',
    relative(view.expires_at, now),
    view.cooldown_until ? `until ${view.cooldown_until}` : '-',
    view.quota ? `${view.quota}${view.quota_resets_at ? ` (resets ${relative(view.quota_resets_at, now)})` : ''}` : '-',
    view.tokens_total === null ? '-' : `${view.tokens_today ?? 0}/${view.tokens_total}`,
    `${view.requests} (${view.failures} failed)`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const out = [`Credentials (${origin}):`, line(header)];
  views.forEach((view, index) => {
    out.push(line(rows[index]!));
    if (view.reason) out.push(`  └ ${view.reason}`);
  });
  return `${out.join('\n')}\n`;
}
