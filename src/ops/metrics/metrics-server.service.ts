import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { rippleConfig } from '../../config/ripple.config.js';
import {
  METRICS_LISTENING,
  METRICS_NOT_HERE,
  METRICS_ON_MAIN_PORT,
  METRICS_PORT_FAILED,
} from './metrics.messages.js';

/** A scraper sends a few headers; one that does not within this long is cut off. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * `GET /metrics` on a listener of its own (`RIPPLE_METRICS_PORT`, on `RIPPLE_METRICS_HOST`,
 * loopback by default), so that the public address never serves it whatever the proxy in front
 * does: metric names and counts describe the deployment. Opened at bootstrap, closed at shutdown.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly registry: Registry,
    @Inject(rippleConfig.KEY) private readonly config: ConfigType<typeof rippleConfig>,
  ) {}

  /** Where the listener is (`http://host:port/metrics`), if there is one. */
  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) {
      return undefined;
    }
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}/metrics`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort: port, metricsHost: host } = this.config;
    if (port === 'main') {
      this.logger.log(METRICS_ON_MAIN_PORT());
    }
    if (typeof port !== 'number') {
      return;
    }
    const server = createServer((request, response) => void this.answer(request, response));
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = HEADERS_TIMEOUT_MS * 3;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: Error) =>
        reject(new Error(METRICS_PORT_FAILED(host, port, err.message))),
      );
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err: Error) => this.logger.error(err.message));
    this.server = server;
    this.logger.log(METRICS_LISTENING(this.url ?? `${host}:${port}`));
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) {
      return;
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if ((request.method !== 'GET' && request.method !== 'HEAD') || path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(METRICS_NOT_HERE());
      return;
    }
    try {
      const body = await this.registry.metrics();
      response.writeHead(200, { 'Content-Type': Registry.PROMETHEUS_CONTENT_TYPE });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.logger.error(err instanceof Error ? err.message : String(err));
      response.writeHead(500).end();
    }
  }
}
