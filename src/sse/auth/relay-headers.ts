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
  // RFC 8586: CDNs (Cloudflare, Akamai, Fastly) add it to every request they pass on.
  'cdn-loop',
]);

/**
 * The families vendors name theirs in, so that one missing from the list still counts: anything
 * with `forwarded` in it (`X-Forwarded-*`, `X-Original-Forwarded-For`, `X-Vercel-Forwarded-For`),
 * and a client's address under any prefix (`Fly-Client-IP`, `X-Azure-ClientIP`,
 * `WL-Proxy-Client-IP`, `X-Originating-IP`, `X-Remote-Addr`, `X-Nf-Client-Connection-Ip`).
 */
const RELAY_NAME =
  /forwarded|(?:client|real|connecting|connection|originating|remote|user|socket)-?ip(?:v[46])?$|remote-?addr$/;

/**
 * Whether a request says it was relayed. A client could send such a header itself, but only to be
 * treated as relayed (refused where loopback is required), so no value is read, only names.
 */
export function isRelayed(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some((name) => RELAY_HEADERS.has(name) || RELAY_NAME.test(name));
}
