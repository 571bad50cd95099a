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

/** True when `value` matches the glob `pattern`. */
export function globMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}
