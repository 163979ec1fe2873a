import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, Server } from 'node:http';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RippleConfig } from './config/ripple.config.js';
import { answerClientErrors } from './http/client-error.js';
import { createWithExpressPrototypes, type ExpressPrototypes } from './http/express-prototypes.js';
import { acceptAnyBody } from './http/fastify-adapter.js';
import { frontDoor } from './http/front-door.js';
import { pageAssets, pageFile, prefixedAssets } from './http/page-assets.js';
import { trustProxySetting } from './http/trust-proxy.js';
import { ScopedErrorsFilter } from './ops/logging/scoped-errors.filter.js';

const require = createRequire(import.meta.url);

/** The page, from `public/` at the project root (one level above both `src/` and `dist/`). */
export const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/** The client module as `npm run build` compiles it (dist/, whether this runs from src/ or dist/). */
export const CLIENT_FILE = fileURLToPath(new URL('../dist/client/index.js', import.meta.url));

/** The service's application, on either platform (RIPPLE_ADAPTER). */
export type RippleApplication = NestExpressApplication | NestFastifyApplication;

/**
 * What main.ts and the e2e tests both apply to the app, so the tests run the app users run. On
 * Fastify, what Express sets here on the application (trust proxy) is an option of the Fastify
 * instance, given where it is made (src/http/fastify-adapter.ts); the middleware below is Node's
 * (request, response, next), which both platforms run.
 */
export function configureApp(
  app: RippleApplication,
  config: Pick<RippleConfig, 'trustProxy' | 'headersTimeoutMs' | 'http2'>,
): void {
  const fastify = app.getHttpAdapter().getType() === 'fastify';
  // Every answer carries its request id, even a refusal given before the routes (the Host check;
  // the logging middleware comes with the routes); then the page's files, at their own paths.
  app.use(
    frontDoor([
      pageAssets(PUBLIC_DIR),
      pageFile('/client.js', CLIENT_FILE),
      prefixedAssets(
        '/vendor/uplot/',
        join(dirname(require.resolve('uplot/package.json')), 'dist'),
      ),
    ]),
  );
  // No body parser: the only route that takes a body, the publish route, reads its own, with the
  // module's limit. The module's JSON error shape for everything else too (health, 404s), and
  // Nest's 500 for any other error, logged with its request's id.
  app.useGlobalFilters(new ScopedErrorsFilter(app.getHttpAdapter()));
  const server = app.getHttpServer() as Server;
  if (fastify) {
    // As with Express's `bodyParser: false`: the publish route reads its own body.
    acceptAnyBody(app as NestFastifyApplication);
    // Fastify answers what Node's parser refuses itself; answerClientErrors does it below.
    server.removeAllListeners('clientError');
  } else {
    const express = app as NestExpressApplication;
    // Which framework answers is nobody's business (Fastify names none).
    express.disable('x-powered-by');
    // The client address (connection limits, loopback publishing) is the socket's, unless a
    // trusted proxy is configured, whose X-Forwarded-For is then believed.
    express.set('trust proxy', trustProxySetting(config.trustProxy));
    // Every request and response shares its hidden class with the others (see the function).
    createWithExpressPrototypes(server, app.getHttpAdapter().getInstance() as ExpressPrototypes);
  }
  // A client that sends its headers a byte at a time (slowloris) is cut off; streams, whose
  // request is over once its headers are in, are not affected.
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = Math.max(config.headersTimeoutMs, 30_000);
  if (config.http2) {
    cutSessionsWithoutStreams(server as unknown as Http2Server, config.headersTimeoutMs);
  } else {
    cutSlowHeaders(server, config.headersTimeoutMs);
  }
  // What Node's parser refuses (a bad header, oversized headers) is answered like the rest, and so
  // is a request without Host (hostRefusal, in the front door), which Node would refuse with a
  // bare 400.
  answerClientErrors(server);
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
}

/**
 * Node checks `headersTimeout` only every 30 s (connectionsCheckingInterval), so a connection
 * that trickles its first request's headers is closed here on time: within a tenth of the timeout
 * past it.
 */
function cutSlowHeaders(server: Server, timeoutMs: number): void {
  const deadline = connectionDeadline<Socket>(server, timeoutMs);
  server.on('connection', (socket: Socket) => deadline.arm(socket));
  server.on('request', (request: IncomingMessage) => deadline.met(request.socket));
}

/**
 * Over HTTP/2 a request's socket is Node's stand-in for its stream, not the connection's, so the
 * deadline above cannot be met by a request: here it is the session's instead, which must open
 * its first stream within `timeoutMs` (a stream's headers come in one HEADERS frame, which Node
 * parses whole). A session that opened one is left to Fastify's own session timeout.
 */
function cutSessionsWithoutStreams(server: Http2Server, timeoutMs: number): void {
  const deadline = connectionDeadline<ServerHttp2Session>(server, timeoutMs);
  server.on('session', (session: ServerHttp2Session) => {
    deadline.arm(session);
    session.once('stream', () => deadline.met(session));
  });
}

/**
 * A deadline per connection (a socket, an HTTP/2 session): destroyed unless `met` is called for it
 * in time. One sweep, within a tenth of the timeout past it, for all the connections waiting,
 * rather than a timer, a map entry and a close listener for each, which a reconnect storm would
 * pay for every client. One that closed meanwhile is let go at the next sweep.
 */
function connectionDeadline<T extends { readonly destroyed: boolean; destroy(): void }>(
  server: EventEmitter,
  timeoutMs: number,
) {
  const waiting = new Map<T, number>();
  let sweeper: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearInterval(sweeper);
    sweeper = undefined;
  };
  const sweep = (): void => {
    const now = Date.now();
    for (const [connection, deadline] of waiting) {
      if (connection.destroyed || deadline <= now) {
        waiting.delete(connection);
        connection.destroy();
      }
    }
    if (waiting.size === 0) {
      stop();
    }
  };
  server.on('close', () => {
    stop();
    waiting.clear();
  });
  return {
    arm(connection: T): void {
      waiting.set(connection, Date.now() + timeoutMs);
      sweeper ??= setInterval(sweep, Math.max(1, Math.ceil(timeoutMs / 10))).unref();
    },
    met(connection: T): void {
      waiting.delete(connection);
    },
  };
}
