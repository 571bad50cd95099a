import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** The relative imports of a TypeScript source, resolved to .ts paths. */
function relativeImports(file: string, source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(RELATIVE_IMPORT)) {
    const specifier = match[1];
    if (specifier) found.push(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
  }
  return found;
}

/**
 * Transpiles `entries` (repo-relative .ts files) and everything they import relatively into a temp directory with
 * the same layout, so a real second Node process can run our TypeScript. Node 20 cannot run .ts itself; the
 * directory gets a package.json (ESM) and a node_modules link to the repo's. Returns the directory.
 */
export async function buildForChildProcess(entries: string[]): Promise<string> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'proxycast-child-'));
  await fs.writeFile(path.join(outDir, 'package.json'), '{"type":"module"}\n');
  await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');
  const pending = entries.map((entry) => path.resolve(REPO_ROOT, entry));
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const source = await fs.readFile(file, 'utf8');
    const output = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true, verbatimModuleSyntax: true },
    });
    const target = path.join(outDir, path.relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, output.outputText);
    pending.push(...relativeImports(file, source));
  }
  return outDir;
}

/** Where an entry ends up inside a buildForChildProcess directory. */
export function builtPath(outDir: string, entry: string): string {
  return path.join(outDir, entry.replace(/\.ts$/, '.js'));
}
