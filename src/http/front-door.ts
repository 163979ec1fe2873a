import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId } from '../ops/logging/request-id.middleware.js';
import type { PathMiddleware } from './page-assets.js';
import { hostRefusal } from './require-host.js';

/**
 * What every request meets before the routes, as one middleware: its id (echoed, so that even a
 * refusal given here carries it), the Host check, and the page's files at their own paths. One
 * layer of the platform's router rather than one each: a reconnect storm's every opening went
 * through five, each a match and a `next` of Express's router (docs/performance.md, "S: a third
 * round").
 */
export function frontDoor(
  pages: readonly PathMiddleware[],
): (
  request: IncomingMessage & { id?: string },
  response: ServerResponse,
  next: (err?: unknown) => void,
) => void {
  return (request, response, next) => {
    assignRequestId(request, response);
    const refusal = hostRefusal(request, response);
    if (refusal) {
      next(refusal);
      return;
    }
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    for (const page of pages) {
      if (page.claims(path)) {
        page(request, response, next);
        return;
      }
    }
    next();
  };
}
