import type { IncomingMessage } from 'node:http';
import { rawRequest, type PlatformRequest } from './http-objects.js';

/**
 * The request that a line being logged is about, for a logger that names it (the service's adds
 * the request's id to the line). Ripple enters it around every line it logs about a request: a
 * refusal, a stream that could not start, failed, was dropped or reached its token's expiry, a
 * failed publish. Node's own request (Fastify's wrapper's `.raw`).
 *
 * Synchronous, for the call alone: no AsyncLocalStorage, whose promise hooks (Node 20 installs them
 * for as long as one is in use) cost every Promise of every request, the openings of a reconnect
 * storm included (docs/performance.md). What logs later about a request keeps the request and
 * enters it again then.
 */
let current: IncomingMessage | undefined;

export function inRequestScope<A extends unknown[], R>(
  /** The platform's request (Express's, Fastify's), or Node's. */
  request: object | undefined,
  fn: (...args: A) => R,
  ...args: A
): R {
  const outer = current;
  current = request === undefined ? undefined : rawRequest(request as PlatformRequest);
  try {
    return fn(...args);
  } finally {
    current = outer;
  }
}

/** The request entered by the innermost `inRequestScope` under way, if any. */
export function requestInScope(): IncomingMessage | undefined {
  return current;
}
