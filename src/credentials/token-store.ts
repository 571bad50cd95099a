import fs from 'node:fs/promises';
import { parseTokenFile, TokenFileError } from './token-file.js';
import type { ParsedTokenFile } from './types.js';

export type TokenFileRead =
  | { ok: true; parsed: ParsedTokenFile; text: string }
  | { ok: false; reason: string; missing: boolean };

/** Reads and validates a token file; never throws and never touches the file. */
export async function readTokenFile(file: string): Promise<TokenFileRead> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: `token file ${file} does not exist`, missing: true };
    return { ok: false, reason: `token file ${file} cannot be read (${code ?? (error as Error).message})`, missing: false };
  }
  try {
    return { ok: true, parsed: parseTokenFile(text), text };
  } catch (error) {
    const reason = error instanceof TokenFileError ? error.message : String(error);
    return { ok: false, reason: `token file ${file}: ${reason}`, missing: false };
  }
}
