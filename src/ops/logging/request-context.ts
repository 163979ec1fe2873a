import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The id of the request being handled, for every line logged while handling it: the store is the
 * id itself (a string the request has anyway), so a request's logging context costs no object of
 * its own, and one kept alive with a stream (for its drop's line) holds nothing more.
 */
const requestIds = new AsyncLocalStorage<string>();

export function runWithRequestId(id: string, fn: () => void): void {
  requestIds.run(id, fn);
}

/** pino's `mixin`: the request's id on every line logged within its handling. */
export function requestIdFields(): { reqId?: string } {
  const reqId = requestIds.getStore();
  return reqId === undefined ? {} : { reqId };
}
