import type { AbstractHttpAdapter } from '@nestjs/core';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RippleConfig } from '../config/ripple.config.js';
import { trustProxySetting } from './trust-proxy.js';

/**
 * Nest's Fastify adapter as the service runs on it (`RIPPLE_ADAPTER=fastify`), loaded only then:
 * an Express service never loads Fastify. What Express is told on the application (trust proxy)
 * Fastify takes here, where its instance is made; `forceCloseConnections` closes what connections
 * are left at shutdown with Node's `closeAllConnections()`, as ClosingExpressAdapter does.
 */
export async function createFastifyAdapter(
  config: Pick<RippleConfig, 'trustProxy'>,
): Promise<FastifyAdapter> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return new FastifyAdapter({
    // Fastify takes a hop count too (lib/request.js), which its types leave out.
    trustProxy: trustProxySetting(config.trustProxy) as boolean | string,
    forceCloseConnections: true,
  });
}

/** The adapter `RIPPLE_ADAPTER` names: Express's (the default) or Fastify's. */
export async function createAdapter(
  config: Pick<RippleConfig, 'adapter' | 'trustProxy'>,
): Promise<AbstractHttpAdapter> {
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
