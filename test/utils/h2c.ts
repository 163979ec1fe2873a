import http2, { type ClientHttp2Session } from 'node:http2';

/**
 * Cleartext HTTP/2 (h2c) for the tests: an app started with `RIPPLE_HTTP2=true` and no certificate
 * answers HTTP/2 only, from the first byte (prior knowledge), which neither `fetch` nor
 * `node:http` speaks. `startApp` registers such an app's origin here, and the test helpers
 * (`SseReader.open`, `post`, `get`) then go through one HTTP/2 session per origin, as a browser
 * puts every stream of a page on one connection: a suite asserts that its streams share it.
 */
const sessions = new Map<string, ClientHttp2Session>();
const h2cOrigins = new Set<string>();

export function registerH2cOrigin(origin: string): void {
  h2cOrigins.add(origin);
}

/** Forgets the origin and closes its session (the app is closing). */
export function forgetH2cOrigin(origin: string): void {
  h2cOrigins.delete(origin);
  sessions.get(origin)?.destroy();
  sessions.delete(origin);
}

/** Whether `url` is served by an h2c app: its requests go through `h2cSession`. */
export function isH2c(url: string): boolean {
  return h2cOrigins.has(new URL(url).origin);
}

/** The one session of `url`'s origin, opened on first use (and again if the server closed it). */
export function h2cSession(url: string): ClientHttp2Session {
  const origin = new URL(url).origin;
  let session = sessions.get(origin);
  if (!session || session.closed || session.destroyed) {
    session = http2.connect(origin);
    // Its streams report their own errors; a session the server closes is opened again.
    session.on('error', () => undefined);
    session.unref();
    sessions.set(origin, session);
  }
  return session;
}

/**
 * One request over the origin's session, its body read whole: the status, the headers and the
 * text, as `fetch` gives them.
 */
export function h2cRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
  const { pathname, search } = new URL(url);
  const stream = h2cSession(url).request({
    ':method': init.method ?? 'GET',
    ':path': pathname + search,
    ...init.headers,
  });
  return new Promise((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, text }));
    stream.on('error', reject);
    stream.end(init.body);
  });
}

/** A response whose body is still coming (a stream): its status and headers, read on demand. */
export interface OpenResponse {
  status: number;
  header(name: string): string | undefined;
  /** The whole body, once it ends. */
  json(): Promise<unknown>;
  /** Leaves the body unread: the request is closed (over HTTP/2, its stream alone is reset). */
  cancel(): void;
}

/** A GET over the origin's session that resolves at the response's headers, as `fetch` does. */
export function h2cOpen(url: string, headers: Record<string, string> = {}): Promise<OpenResponse> {
  const { pathname, search } = new URL(url);
  const stream = h2cSession(url).request({ ':path': pathname + search, ...headers });
  stream.end();
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  return new Promise((resolve, reject) => {
    stream.on('response', (h) =>
      resolve({
        status: Number(h[':status']),
        header: (name) => h[name.toLowerCase()]?.toString(),
        json: async () => {
          await ended;
          return JSON.parse(text) as unknown;
        },
        cancel: () => stream.close(),
      }),
    );
    stream.on('error', reject);
  });
}
