import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers by which a proxy, load balancer or CDN says it relays someone else's request: the
 * standard one, the de facto ones, and those of common vendors (Cloudflare, Akamai, Fastly,
 * Envoy, Google App Engine, Rackspace).
 */
const RELAY_HEADERS = new Set([
  'forwarded',
  'forwarded-for',
  'via',
  'x-forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'cf-connecting-ipv6',
  'cf-pseudo-ipv4',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-appengine-user-ip',
  'x-envoy-external-address',
  'x-proxyuser-ip',
]);

/** `X-Forwarded-For`, `-Host`, `-Proto`, `-Port`, `-Server`..., and `X-Original-Forwarded-For`. */
const RELAY_PREFIXES = ['x-forwarded-', 'x-original-forwarded-'];

/**
 * Whether a request says it was relayed. A client could send such a header itself, but only to be
 * treated as relayed (refused where loopback is required), so no value is read, only names.
 */
export function isRelayed(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some(
    (name) => RELAY_HEADERS.has(name) || RELAY_PREFIXES.some((prefix) => name.startsWith(prefix)),
  );
}
