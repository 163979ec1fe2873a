import { requestInScope } from '../../sse/index.js';

/**
 * pino's `mixin`: the id of the request a line is about (`reqId`), for every line logged within
 * the request's scope: the middleware's (request-log.ts) while the request goes through the
 * middleware and routing, and Ripple's own around each line it logs about a request later
 * (src/sse/http/request-scope.ts). The id is the request's own (`request.id`, request-id.middleware).
 */
export function requestIdFields(): { reqId?: string } {
  const reqId = (requestInScope() as { id?: string } | undefined)?.id;
  return reqId === undefined ? {} : { reqId };
}
