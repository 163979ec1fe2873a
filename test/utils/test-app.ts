import type { AddressInfo } from 'node:net';
import type { LoggerService, NestApplicationOptions } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureApp, type RippleApplication } from '../../src/app.setup.js';
import { createFastifyAdapter } from '../../src/http/fastify-adapter.js';
import { MetricsServer } from '../../src/ops/metrics/metrics-server.service.js';
import { parseRippleEnv, rippleConfig, type RippleConfig } from '../../src/config/ripple.config.js';
import {
  forgetH2cOrigin,
  h2cOpen,
  h2cRequest,
  isH2c,
  registerH2cOrigin,
  type OpenResponse,
} from './h2c.js';

/** The platforms a suite runs on: `describe.each(ADAPTERS)`, with `{ RIPPLE_ADAPTER }`. */
export const ADAPTERS = ['express', 'fastify'] as const;

export type Adapter = (typeof ADAPTERS)[number];

/**
 * The platforms the streaming suites run on: both adapters over HTTP/1.1, and Fastify over
 * cleartext HTTP/2 (h2c), whose requests the test helpers make over one HTTP/2 session per app
 * (see h2c.ts). `describe.each(STREAM_PLATFORMS)`, with `platformEnv(platform)`.
 */
export const STREAM_PLATFORMS = [...ADAPTERS, 'fastify-h2c'] as const;

export type StreamPlatform = (typeof STREAM_PLATFORMS)[number];

export function platformEnv(platform: StreamPlatform): Record<string, string> {
  return platform === 'fastify-h2c'
    ? { RIPPLE_ADAPTER: 'fastify', RIPPLE_HTTP2: 'true' }
    : { RIPPLE_ADAPTER: platform };
}

export interface TestApp {
  app: RippleApplication;
  url: string;
  /** The metrics listener's base URL (`GET ${metricsUrl}/metrics`), unless RIPPLE_METRICS_PORT says otherwise. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * The configuration of these environment variables, with the tests' own defaults: producers off
 * unless asked for, so that tests see only their own events; the metrics listener on any free
 * port, so that apps run side by side; no drain window, so that closing the app ends its streams
 * at once; no request lines from pino-http on the test's stdout (Nest's own logger is
 * `startApp`'s `logger`; the JSON lines are tested on the built service).
 */
export function testConfig(env: Record<string, string> = {}): RippleConfig {
  return parseRippleEnv({
    RIPPLE_PRODUCERS: 'none',
    RIPPLE_DRAIN_MS: '0',
    RIPPLE_LOG_LEVEL: 'silent',
    RIPPLE_METRICS_PORT: '0',
    ...env,
  });
}

/**
 * The real application on a free port, configured as it would be by these environment variables
 * (with the defaults of `testConfig`), on the platform `RIPPLE_ADAPTER` names (Express by
 * default), as main.ts makes it. `logger` replaces
 * Nest's (errors and warnings to the console), e.g. to capture every line the app logs.
 */
export async function startApp(
  env: Record<string, string> = {},
  options: { logger?: LoggerService } = {},
): Promise<TestApp> {
  const config = testConfig(env);
  const builder = Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(rippleConfig.KEY)
    .useValue(config);
  if (options.logger) {
    // Also what the providers log while the module compiles (Redis connections, producers).
    builder.setLogger(options.logger);
  }
  const moduleRef = await builder.compile();
  const app = await createTestApplication(moduleRef, config, {
    bodyParser: false,
    logger: options.logger ?? ['error', 'warn'],
  });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const metricsUrl = app.get(MetricsServer).url?.replace(/\/metrics$/, '');
  const url = `http://127.0.0.1:${port}`;
  if (config.http2 && !config.tls) {
    registerH2cOrigin(url);
  }
  const close = async () => {
    forgetH2cOrigin(url);
    await app.close();
  };
  return { app, url, metricsUrl, close };
}

/**
 * A Nest application of `moduleRef` on the platform `config.adapter` names, as main.ts makes it
 * (Fastify's with its options), with `forceCloseConnections` so that closing it ends open streams.
 */
export async function createTestApplication(
  moduleRef: TestingModule,
  config: Pick<RippleConfig, 'adapter' | 'trustProxy' | 'http2' | 'http2MaxStreams' | 'tls'>,
  options: NestApplicationOptions = {},
): Promise<RippleApplication> {
  const appOptions: NestApplicationOptions = { forceCloseConnections: true, ...options };
  return config.adapter === 'fastify'
    ? moduleRef.createNestApplication<RippleApplication>(
        await createFastifyAdapter(config),
        appOptions,
      )
    : moduleRef.createNestApplication<RippleApplication>(appOptions);
}

/**
 * POSTs a JSON body (or raw text) and returns the status and the parsed answer (over the origin's
 * HTTP/2 session for an h2c app).
 */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; body: any }> {
  const init = {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
  const { status, text } = isH2c(url)
    ? await h2cRequest(url, init)
    : await fetch(url, init).then(async (res) => ({ status: res.status, text: await res.text() }));
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text: the test says what it expected.
  }
  return { status, body: parsed };
}

/**
 * A GET that resolves at the response's headers (a stream's body never ends): `fetch`, or over the
 * origin's HTTP/2 session for an h2c app.
 */
export async function openResponse(
  url: string,
  headers: Record<string, string> = {},
): Promise<OpenResponse> {
  if (isH2c(url)) {
    return h2cOpen(url, headers);
  }
  const res = await fetch(url, { headers });
  return {
    status: res.status,
    header: (name) => res.headers.get(name) ?? undefined,
    json: () => res.json() as Promise<unknown>,
    cancel: () => void res.body?.cancel(),
  };
}

/** What every refusal must look like: a 4xx with a JSON body that names the problem. */
export function expectRefusal(
  res: { status: number; body: unknown },
  status: number,
  words: RegExp,
): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({
    statusCode: status,
    error: expect.any(String),
    message: expect.stringMatching(words),
  });
}
