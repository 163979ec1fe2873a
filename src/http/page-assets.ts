import { readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import serveStatic from 'serve-static';

type Middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/**
 * A middleware that answers only some paths, and says which (`claims`, given the URL's path
 * without its query), so that one layer in front of the routes can pass every other request on
 * without calling it (src/http/front-door.ts).
 */
export type PathMiddleware = Middleware & { claims(path: string): boolean };

function claiming(claims: (path: string) => boolean, middleware: Middleware): PathMiddleware {
  return Object.assign(middleware, { claims });
}

/**
 * The page's files, served only at their own paths: Nest's static assets run before its routes,
 * so a static handler at `/` would look on disk for every `GET /events` before passing it on (a
 * tenth of the CPU of a reconnect storm, see docs/performance.md). The list is read once, at start.
 */
export function pageAssets(dir: string): PathMiddleware {
  const paths = new Set(['/', ...readdirSync(dir).map((file) => `/${file}`)]);
  const serve = serveStatic(dir, { index: 'index.html' });
  return claiming(
    (path) => paths.has(path),
    (request, response, next) => {
      const path = (request.url ?? '/').split('?', 1)[0];
      if (paths.has(path)) {
        serve(request, response, next);
      } else {
        next();
      }
    },
  );
}

/**
 * One built file at a path of its own: the client module, compiled from src/client, served to the
 * page as `/client.js` so that the page has no copy of its own of the reconnect and cursor logic.
 */
export function pageFile(path: string, file: string): PathMiddleware {
  const serve = serveStatic(dirname(file), { index: false, fallthrough: true });
  const name = `/${basename(file)}`;
  return claiming(
    (asked) => asked === path,
    (request, response, next) => {
      const url = request.url ?? '/';
      if (url.split('?', 1)[0] !== path) {
        next();
        return;
      }
      request.url = name;
      serve(request, response, () => {
        request.url = url;
        next();
      });
    },
  );
}

/**
 * A directory's files under a path prefix (`/vendor/uplot/uPlot.esm.js`): what Express's
 * `useStaticAssets` does, as a plain middleware that Fastify runs too (whose `useStaticAssets`
 * needs @fastify/static).
 */
export function prefixedAssets(prefix: string, dir: string): PathMiddleware {
  const serve = serveStatic(dir, { index: false });
  return claiming(
    (path) => path.startsWith(prefix),
    (request, response, next) => {
      const url = request.url ?? '/';
      if (!url.startsWith(prefix)) {
        next();
        return;
      }
      request.url = url.slice(prefix.length - 1);
      serve(request, response, () => {
        request.url = url;
        next();
      });
    },
  );
}
