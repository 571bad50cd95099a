import type { CodexCliImportResult, ImportedCredentialSpec } from '../credentials/codex-cli-import.js';
import type { HealthCheckResult } from '../credentials/health-check.js';
import { scrubSecrets } from '../redact.js';

/** Health results keyed by credential id. */
export type HealthResults = Readonly<Record<string, HealthCheckResult>>;

/** One imported credential in `proxycast import --json`; API keys appear only masked (`sk-...abcd`). */
export interface ImportReportCredential {
  id: string;
  kind: ImportedCredentialSpec['kind'];
  source: 'codex-cli';
  origin: ImportedCredentialSpec['origin'];
  token_file: string | null;
  env_var: string | null;
  provider: string;
  base_url: string;
  wire_api: ImportedCredentialSpec['wireApi'];
  email: string | null;
  account_id: string | null;
  plan_type: string | null;
  masked_key: string | null;
  notes: string[];
  health: { ok: boolean; status: number | null; message: string; latency_ms: number } | null;
}

/** The whole `proxycast import --json` document. */
export interface ImportReportJson {
  codex_home: string;
  auth_file: string;
  config_file: string;
  provider: string;
  profile: string | null;
  credentials_store: CodexCliImportResult['credentialsStore'];
  imported: ImportReportCredential[];
  skipped: Array<{ what: string; why: string }>;
  warnings: string[];
}

function credentialJson(spec: ImportedCredentialSpec, health: HealthCheckResult | undefined): ImportReportCredential {
  const fromFile = spec.origin === 'auth.json' ? spec : undefined;
  return {
    id: spec.id,
    kind: spec.kind,
    source: spec.source,
    origin: spec.origin,
    token_file: fromFile?.tokenFile ?? null,
    env_var: spec.origin === 'env' ? spec.envVar : null,
    provider: spec.providerId,
    base_url: spec.baseUrl,
    wire_api: spec.wireApi,
    email: fromFile?.email ?? null,
    account_id: fromFile?.accountId ?? null,
    plan_type: fromFile?.planType ?? null,
    masked_key: spec.maskedKey ?? null,
    notes: spec.notes.map((note) => scrubSecrets(note)),
    health: health
      ? { ok: health.ok, status: health.status ?? null, message: scrubSecrets(health.message), latency_ms: health.latencyMs }
      : null,
  };
}

/** The `--json` shape of an import: what was found, skipped and warned about, with secrets masked. */
export function importReportJson(result: CodexCliImportResult, healthResults: HealthResults = {}): ImportReportJson {
  return {
    codex_home: result.codexHome,
    auth_file: result.authFile,
    config_file: result.configFile,
    provider: result.providerId,
    profile: result.profile ?? null,
    credentials_store: result.credentialsStore,
    imported: result.credentials.map((spec) => credentialJson(spec, healthResults[spec.id])),
    skipped: result.skipped.map((entry) => ({ what: entry.what, why: scrubSecrets(entry.why) })),
    warnings: result.warnings.map((warning) => scrubSecrets(warning)),
  };
}

function credentialLines(credential: ImportReportCredential): string[] {
  const from = credential.token_file ?? `$${credential.env_var ?? ''}`;
  const who = [credential.email, credential.plan_type && `plan ${credential.plan_type}`].filter(Boolean).join(', ');
  const lines = [`  ${credential.id}  ${credential.kind}  from ${from}`];
  lines.push(`      base URL ${credential.base_url}${credential.wire_api === 'chat' ? ' (wire_api chat)' : ''}  provider ${credential.provider}`);
  if (who) lines.push(`      account ${who}`);
  if (credential.masked_key) lines.push(`      key ${credential.masked_key}`);
  if (credential.account_id) lines.push(`      account id ${credential.account_id}`);
  if (credential.health) {
    const { ok, message, latency_ms } = credential.health;
    lines.push(`      health check ${ok ? 'ok' : 'FAILED (kept in the pool)'}: ${message} [${latency_ms} ms]`);
  }
  for (const note of credential.notes) lines.push(`      note: ${note}`);
  return lines;
}

/** The text `proxycast import` prints: found credentials, skipped ones and why, warnings; secrets masked. */
export function formatImportReport(result: CodexCliImportResult, healthResults: HealthResults = {}): string {
  const report = importReportJson(result, healthResults);
  const profile = report.profile ? `, profile ${report.profile}` : '';
  const lines = [`Codex CLI import from ${report.codex_home} (provider ${report.provider}${profile}, store ${report.credentials_store})`];
  lines.push(report.imported.length > 0 ? `Imported ${report.imported.length}:` : 'Imported nothing new.');
  for (const credential of report.imported) lines.push(...credentialLines(credential));
  if (report.skipped.length > 0) {
    lines.push(`Skipped ${report.skipped.length}:`);
    for (const entry of report.skipped) lines.push(`  ${entry.what}: ${entry.why}`);
  }
  if (report.warnings.length > 0) {
    lines.push(`Warnings ${report.warnings.length}:`);
    for (const warning of report.warnings) lines.push(`  - ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}
