/**
 * What Express's router leaves on a request that an open stream never reads again: the router's
 * `next` (its closure holds the request's whole routing: the layers' state, the final handler),
 * parseurl's cached parses of the URL, and the route's params.
 */
const LEFTOVERS = ['next', '_parsedUrl', '_parsedOriginalUrl', 'params'];

/**
 * Lets them go once the stream is open: the request object lives as long as the stream, and they
 * would live with it. Set to `undefined` rather than deleted, which would turn the request's
 * properties into a dictionary; only those the request has.
 */
export function releaseRoutingLeftovers(request: object): void {
  const fields = request as Record<string, unknown>;
  for (const key of LEFTOVERS) {
    if (Object.hasOwn(fields, key)) {
      fields[key] = undefined;
    }
  }
}
