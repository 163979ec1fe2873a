import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestIdOf } from './log-redaction.js';

/**
 * Gives the request its id (the client's X-Request-Id when valid, else a new UUID) and echoes it,
 * before anything can answer: Express's body parser runs ahead of Nest's middleware, pino-http
 * included, and a 400 for malformed JSON would otherwise go out without one. pino-http keeps the
 * `req.id` it finds.
 */
export function assignRequestId(
  request: IncomingMessage & { id?: string },
  response: ServerResponse,
): void {
  const id = requestIdOf(request.headers['x-request-id']);
  request.id = id;
  response.setHeader('X-Request-Id', id);
}
