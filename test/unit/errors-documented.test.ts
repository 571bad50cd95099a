import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';

describe('error catalogue', () => {
  it('documents every error code in the README troubleshooting table', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Troubleshooting'));
    for (const code of ERROR_CODES) expect(table, code).toContain(`| \`${code}\` |`);
  });
});
