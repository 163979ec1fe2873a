import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestLike } from '../http/http-objects.js';

const parsed = new WeakMap<object, Record<string, unknown>>();

/**
 * A request's query as the app's query parser gives it, parsed once per request: Express 5 parses
 * it again at every read of `request.query`, and a stream's guard and handler both read it (a
 * reconnect storm pays each parse for every client). Both get the same parse, so the guard checks
 * exactly the topics the handler streams. Shared: read it, never change it.
 */
export function requestQuery(request: Pick<RequestLike, 'query'>): Record<string, unknown> {
  let query = parsed.get(request);
  if (query === undefined) {
    query = (request.query ?? {}) as Record<string, unknown>;
    parsed.set(request, query);
  }
  return query;
}

/** The request's query (requestQuery), as a route parameter: `@RequestQuery() query`. */
export const RequestQuery = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Record<string, unknown> =>
    requestQuery(context.switchToHttp().getRequest<RequestLike>()),
);
