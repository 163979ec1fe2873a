import { readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import serveStatic from 'serve-static';

type Middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/**
 * The page's files, served only at their own paths: Nest's static assets run before its routes,
 * so a static handler at `/` would look on disk for every `GET /events` before passing it on (a
 * tenth of the CPU of a reconnect storm, see docs/performance.md). The list is read once, at start.
 */
export function pageAssets(dir: string): Middleware {
  const paths = new Set(['/', ...readdirSync(dir).map((file) => `/${file}`)]);
  const serve = serveStatic(dir, { index: 'index.html' });
  return (request, response, next) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (paths.has(path)) {
      serve(request, response, next);
    } else {
      next();
    }
  };
}
