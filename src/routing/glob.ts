/** Compiles a glob ("gpt-*", "o?-mini", "*") into an anchored, case-insensitive RegExp; only * and ? are special. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'i');
}

// Patterns come from config.yaml (routing rules, model aliases), so there are few; each request tests them all, and
// compiling a RegExp per test was per-request work. Bounded anyway, in case patterns ever come from elsewhere.
const compiled = new Map<string, RegExp>();
const MAX_COMPILED = 1_000;

/** True when `value` matches the glob `pattern` (compiled once per pattern). */
export function globMatches(pattern: string, value: string): boolean {
  let regExp = compiled.get(pattern);
  if (!regExp) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    regExp = globToRegExp(pattern);
    compiled.set(pattern, regExp);
  }
  return regExp.test(value);
}
