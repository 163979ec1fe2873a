import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Whether the client of this request has already hung up. A request spends time in middleware
 * and guards before the writer sees it, and a `close` that fired then will not fire again.
 */
export function clientGone(request: IncomingMessage, response: ServerResponse): boolean {
  return response.closed || response.destroyed || request.socket.destroyed;
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
