import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { checkAdmin } from './admin-guard.js';
import { ProxyError } from '../errors.js';

/** The page's files: a fixed list, so no request path can reach anything else on disk. */
const UI_FILES: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** The ui/ folder at the package root (from src/admin or dist/src/admin). */
function uiDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth += 1) {
    if (fs.existsSync(path.join(dir, 'ui', 'index.html'))) return path.join(dir, 'ui');
    dir = path.dirname(dir);
  }
  throw new Error('the admin page files (ui/) are missing from the package');
}

/** Serves the admin page at /ui/ (same guard as the admin API). */
export function registerUiRoute(app: FastifyInstance, runtime: Runtime): void {
  const dir = uiDir();
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
    checkAdmin(request, runtime.config().server.admin_key);
    const name = request.params['*'];
    // Own keys only: /ui/constructor must not find Object.prototype.constructor.
    const entry = Object.hasOwn(UI_FILES, name) ? UI_FILES[name] : undefined;
    if (!entry) throw ProxyError.notFound(request.method, request.url.split('?')[0] ?? '');
    reply
      .header('content-security-policy', "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .type(entry.type);
    return fs.promises.readFile(path.join(dir, entry.file));
  });
}
