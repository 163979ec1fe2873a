/**
 * What Express's router leaves on a request that an open stream never reads again: the router's
 * `next` (its closure holds the request's whole routing: the layers' state, the final handler),
 * parseurl's cached parses of the URL, and the route's params.
 */
const REQUEST_LEFTOVERS = ['next', '_parsedUrl', '_parsedOriginalUrl', 'params'];

/** And on the response: the locals of a template that a stream never renders. */
const RESPONSE_LEFTOVERS = ['locals'];

/**
 * Lets them go once the stream is open: the request and the response live as long as the stream,
 * and they would live with them. Set to `undefined` rather than deleted, which would turn the
 * objects' properties into a dictionary; only those they have.
 */
export function releaseRoutingLeftovers(request: object, response: object): void {
  clear(request, REQUEST_LEFTOVERS);
  clear(response, RESPONSE_LEFTOVERS);
}

function clear(target: object, keys: readonly string[]): void {
  const fields = target as Record<string, unknown>;
  for (const key of keys) {
    if (Object.hasOwn(fields, key)) {
      fields[key] = undefined;
    }
  }
}
