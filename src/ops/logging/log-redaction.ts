import { randomUUID } from 'node:crypto';

export const REDACTED = '[Redacted]';

/**
 * Where a secret can sit in a request or response line: credentials in headers. (The query
 * string's `access_token` is taken out of the URL by the request serializer.) The serializers
 * take them out (redactHeaders), rather than pino's path redaction, which clones part of every
 * line for each path whether or not the header is there.
 */
export const REQUEST_SECRET_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
export const RESPONSE_SECRET_HEADERS = ['set-cookie'];

/** `headers` with the value of each of `names` replaced; the same object when none is there. */
export function redactHeaders<T extends Record<string, unknown>>(
  headers: T,
  names: readonly string[],
): T {
  if (headers === null || typeof headers !== 'object' || !names.some((name) => name in headers)) {
    return headers;
  }
  const copy: Record<string, unknown> = { ...headers };
  for (const name of names) {
    if (name in copy) {
      copy[name] = REDACTED;
    }
  }
  return copy as T;
}

/** Query parameters whose value never reaches a log. */
const SECRET_PARAMS = new Set(['access_token']);

/**
 * The URL with the value of every secret query parameter replaced. Names are compared decoded,
 * as Express's query parser decodes them (`access%5Ftoken` is `access_token` to the guard too).
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) {
    return url;
  }
  const hashAt = url.indexOf('#', queryAt);
  const end = hashAt < 0 ? url.length : hashAt;
  const query = url
    .slice(queryAt + 1, end)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return SECRET_PARAMS.has(decodeName(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, queryAt + 1)}${query}${url.slice(end)}`;
}

function decodeName(name: string): string {
  const spaced = name.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** What a request id from a client or a proxy may look like: short, printable, no spaces. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request's id: the `X-Request-Id` a client or proxy sent, when it is a plausible id, so that
 * one id follows a request through the proxy's log and ours; else a new UUID.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}
