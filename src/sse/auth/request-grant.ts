import type { Grant } from './grant.interface.js';

/**
 * The grant a guard found for a request, for the interceptor that ends the stream when the token
 * expires. Keyed by the request object, so nothing is added to it and nothing outlives it.
 */
const grants = new WeakMap<object, Grant>();

export function setRequestGrant(request: object, grant: Grant): void {
  grants.set(request, grant);
}

export function requestGrant(request: object): Grant | undefined {
  return grants.get(request);
}

/** Requests whose stream ended because their token expired, for the writer's end reason. */
const expired = new WeakSet<object>();

export function markGrantExpired(request: object): void {
  expired.add(request);
}

export function grantExpired(request: object): boolean {
  return expired.has(request);
}
