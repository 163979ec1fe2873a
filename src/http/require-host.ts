import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestException } from '@nestjs/common';
import { NO_HOST_HEADER } from './http.messages.js';

/**
 * HTTP/1.1 requires a Host header. Node refuses a request without one itself, with a bare 400
 * (no body, no request id) when `requireHostHeader` is on; configureApp turns that off so that
 * this refusal, like every other one, goes through the exception filter (the front door passes the
 * error to `next`). HTTP/1.0 has no Host,
 * and HTTP/2 names the host in its `:authority` pseudo-header instead.
 */
export function hostRefusal(
  request: IncomingMessage,
  response: ServerResponse,
): BadRequestException | undefined {
  if (request.headers.host === undefined && request.httpVersion === '1.1') {
    // As Node does: a client this confused gets no second request on the connection.
    response.setHeader('Connection', 'close');
    return new BadRequestException(NO_HOST_HEADER());
  }
  return undefined;
}
