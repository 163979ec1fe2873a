import { readFileSync } from 'node:fs';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PlatformSettings, TlsFiles } from '../config/ripple.config.js';
import { trustProxySetting } from './trust-proxy.js';

/**
 * Nest's Fastify adapter as the service runs on it (`RIPPLE_ADAPTER=fastify`), loaded only then:
 * an Express service never loads Fastify. What Express is told on the application (trust proxy)
 * Fastify takes here, where its instance is made; `forceCloseConnections` closes what connections
 * are left at shutdown with Node's `closeAllConnections()`, as ClosingExpressAdapter does (over
 * HTTP/2, Fastify closes the sessions instead, which Node 20's own close leaves open).
 */
export async function createFastifyAdapter(
  config: Partial<Pick<PlatformSettings, 'trustProxy' | 'http2' | 'http2MaxStreams' | 'tls'>>,
): Promise<FastifyAdapter> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const options = {
    // Fastify takes a hop count too (lib/request.js), which its types leave out.
    trustProxy: trustProxySetting(config.trustProxy) as boolean | string,
    forceCloseConnections: true,
    ...http2Options(config),
  };
  // Typed as over HTTP/1.1 (FastifyAdapter's types are generic in the server, by protocol): what
  // the service uses of it (listen, close, the instance's hooks and parsers) is the same over
  // HTTP/2, and Ripple's writer tells Node's HTTP/2 response from HTTP/1.1's itself.
  return new FastifyAdapter(
    options as ConstructorParameters<typeof FastifyAdapter>[0],
  ) as unknown as FastifyAdapter;
}

/**
 * HTTP/2 (`RIPPLE_HTTP2`): over TLS when a certificate is given, which is what browsers speak,
 * with HTTP/1.1 still served to clients that do not offer h2 (ALPN); else cleartext h2c, which
 * only clients that speak HTTP/2 from the first byte use (curl --http2-prior-knowledge, Node's
 * http2.connect, a proxy's h2c upstream): Node's cleartext HTTP/2 server does not answer HTTP/1.1.
 */
function http2Options(
  config: Partial<Pick<PlatformSettings, 'http2' | 'http2MaxStreams' | 'tls'>>,
): object {
  if (!config.http2) {
    return {};
  }
  // RIPPLE_HTTP2_MAX_STREAMS: Node's own default is unbounded.
  const settings = { maxConcurrentStreams: config.http2MaxStreams };
  if (!config.tls) {
    // Fastify hands `http` to http2.createServer for h2c.
    return { http2: true, http: { settings } };
  }
  return { http2: true, https: { ...readTls(config.tls), allowHTTP1: true, settings } };
}

function readTls(tls: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
}

/** The adapter `RIPPLE_ADAPTER` names: Express's (the default) or Fastify's. */
export async function createAdapter(config: PlatformSettings): Promise<AbstractHttpAdapter> {
  if (config.adapter === 'fastify') {
    return createFastifyAdapter(config);
  }
  const { ClosingExpressAdapter } = await import('./express-adapter.js');
  return new ClosingExpressAdapter();
}

/**
 * Fastify parses JSON and text bodies itself, with its own limit and its own refusals, before
 * any route runs. The service reads no body but the publish route's, which reads its own with
 * the module's limit (as with Express's `bodyParser: false`): every media type is let through
 * unread, and the route refuses what is not JSON with the module's answer.
 */
export function acceptAnyBody(app: NestFastifyApplication): void {
  const instance = app.getHttpAdapter().getInstance();
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', leaveUnread);
}

function leaveUnread(_request: unknown, _payload: unknown, done: (err: null) => void): void {
  done(null);
}
