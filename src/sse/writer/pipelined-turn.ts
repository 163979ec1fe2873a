import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { clientGone, onClientGone } from './client-gone.js';

/** How many stream requests wait for their turn on each connection. */
const waiting = new WeakMap<Socket, number>();

/**
 * A stream request pipelined behind another response on its connection waits for its turn
 * (Node gives its response the socket when the one before has ended) before anything is taken
 * for it: `begin` runs then. `giveUp` runs instead if the client leaves first, or if the
 * connection already has `maxWaiting` waiting (the connection is closed). A client that pipelines a
 * few HEADs behind a request is served in order; one that sends hundreds of streams down one socket
 * (each of which could be answered only after the one before it ended) is cut off.
 * Returns what to call if the subscriber leaves before.
 */
export function awaitTurn(
  request: IncomingMessage,
  response: ServerResponse,
  begin: () => (() => void) | void,
  giveUp: () => void,
  maxWaiting: number,
): () => void {
  const connection = request.socket;
  const count = (waiting.get(connection) ?? 0) + 1;
  if (count > maxWaiting) {
    connection.destroy();
    giveUp();
    return () => undefined;
  }
  waiting.set(connection, count);
  let settled = false;
  let teardown: (() => void) | void;
  /** Once, whichever comes first: the turn, the client leaving, the subscriber leaving. */
  const settle = (): boolean => {
    if (settled) {
      return false;
    }
    settled = true;
    response.off('socket', onTurn);
    const left = (waiting.get(connection) ?? 1) - 1;
    if (left > 0) {
      waiting.set(connection, left);
    } else {
      waiting.delete(connection);
    }
    return true;
  };
  const onTurn = () => {
    if (settle()) {
      if (clientGone(request, response)) {
        giveUp();
      } else {
        teardown = begin();
      }
    }
  };
  response.once('socket', onTurn);
  onClientGone(request, response, () => {
    if (settle()) {
      giveUp();
    }
  });
  return () => {
    settle();
    teardown?.();
  };
}
