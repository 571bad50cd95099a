/** Token counts of one answer, as the upstream reported them. */
export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

export const TOKEN_KINDS = ['input', 'output', 'cached', 'reasoning'] as const;

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

/** Reads a Chat Completions `usage` object (prompt/completion tokens and their details). */
export function tokenUsageFromChat(usage: unknown): TokenUsage | undefined {
  const u = record(usage);
  if (!u) return undefined;
  return {
    input: count(u.prompt_tokens),
    output: count(u.completion_tokens),
    cached: count(record(u.prompt_tokens_details)?.cached_tokens),
    reasoning: count(record(u.completion_tokens_details)?.reasoning_tokens),
  };
}

/** Reads a Responses `usage` object (input/output tokens and their details). */
export function tokenUsageFromResponses(usage: unknown): TokenUsage | undefined {
  const u = record(usage);
  if (!u) return undefined;
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cached: count(record(u.input_tokens_details)?.cached_tokens),
    reasoning: count(record(u.output_tokens_details)?.reasoning_tokens),
  };
}
