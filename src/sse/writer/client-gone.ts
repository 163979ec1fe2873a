import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerResponse, type Http2ServerRequest } from 'node:http2';

/** The response of a stream's request: HTTP/1.x, or HTTP/2 (Node's compatibility API). */
export type SseResponse = ServerResponse | Http2ServerResponse;
export type SseRequest = IncomingMessage | Http2ServerRequest;

/** Whether the response is over: closed, destroyed, or (HTTP/2) its stream is. */
export function responseGone(response: SseResponse): boolean {
  if (response instanceof Http2ServerResponse) {
    return response.stream.destroyed;
  }
  return response.closed || response.destroyed;
}

/**
 * Whether the client of this request has already hung up. A request spends time in middleware
 * and guards before the writer sees it, and a `close` that fired then will not fire again. (Over
 * HTTP/2, the request's socket is Node's stand-in whose `destroyed` is its stream's.)
 */
export function clientGone(request: SseRequest, response: SseResponse): boolean {
  return responseGone(response) || request.socket.destroyed;
}

/**
 * Calls `listener` once, when the response closes or the connection does, or at once if the
 * client is already gone. Both are watched: a response queued behind a pipelined one has no
 * socket yet and gets no `close` when the connection goes. The connection's listener is removed
 * with the response, so that a keep-alive connection does not collect one per request.
 */
export function onClientGone(
  request: IncomingMessage,
  response: ServerResponse,
  listener: () => void,
): void {
  if (clientGone(request, response)) {
    listener();
    return;
  }
  const connection = request.socket;
  const gone = () => {
    response.off('close', gone);
    connection.off('close', gone);
    listener();
  };
  response.once('close', gone);
  connection.once('close', gone);
}
