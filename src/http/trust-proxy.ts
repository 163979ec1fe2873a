/**
 * `RIPPLE_TRUST_PROXY` as Express (`app.set('trust proxy')`) and Fastify (its `trustProxy`
 * option) both take it, both reading it with proxy-addr: a hop count, `true`/`false`, or
 * addresses/ranges.
 */
export function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') {
    return false;
  }
  if (value === 'true') {
    return true;
  }
  return /^\d+$/.test(value) ? Number(value) : value;
}
