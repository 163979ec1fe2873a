import { BAD_OPTION, ROUTES_FROM_FACTORY, TWO_KEYS } from './sse.messages.js';
import type {
  ResolvedSseOptions,
  ResolvedSseRoutes,
  SseRoutesOptions,
} from './sse-options.interface.js';

/** The smallest value each numeric option takes; each must also be a safe integer. */
const INTEGER_MINIMUMS: Record<string, number> = {
  historySize: 1,
  memoryHistoryMaxBytes: 1,
  idempotencyWindowMs: 1,
  idempotencyMaxKeys: 1,
  replayPageSize: 1,
  frameCacheBytes: 0,
  // interval(0) would spin: a heartbeat needs a period.
  heartbeatMs: 1,
  retryMs: 0,
  maxTopicsPerConnection: 1,
  maxPayloadBytes: 1,
  maxBatchEvents: 1,
  maxBatchBytes: 1,
  maxBufferBytes: 1,
  writeTimeoutMs: 1,
  maxConnectionAgeMs: 0,
  maxConnections: 0,
  maxConnectionsPerIp: 0,
  maxPipelinedStreams: 0,
  drainMs: 0,
  maxTrackedTopics: 0,
  'auth.clockSkewSeconds': 0,
  'auth.queryTokenMaxTtlSeconds': 1,
};

/**
 * Refuses options that would misbehave later (a heartbeat of 0 ms, a negative limit, an unknown
 * backend), when the module starts, with the option's name: hand-written so that the
 * library needs no schema package.
 */
export function validateSseOptions(
  options: ResolvedSseOptions,
  backend?: unknown,
): ResolvedSseOptions {
  if (
    backend !== undefined &&
    typeof (backend as { createSeams?: unknown } | null)?.createSeams !== 'function'
  ) {
    throw new Error(
      BAD_OPTION('backend', 'an SseBackend (MemoryBackend, RedisBackend, ...)', backend),
    );
  }
  // forRoot takes `routes` out of the options; only a factory's answer can still hold it.
  if ((options as { routes?: unknown }).routes !== undefined) {
    throw new Error(ROUTES_FROM_FACTORY());
  }
  const value = (path: string): unknown =>
    path
      .split('.')
      .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], options);
  for (const [path, min] of Object.entries(INTEGER_MINIMUMS)) {
    const got = value(path);
    if (typeof got !== 'number' || !Number.isSafeInteger(got) || got < min) {
      throw new Error(BAD_OPTION(path, `an integer >= ${min}`, got));
    }
  }
  if (typeof options.auth.cookieName !== 'string') {
    throw new Error(BAD_OPTION('auth.cookieName', 'a string', options.auth.cookieName));
  }
  if (options.auth.cookieName === '') {
    throw new Error(BAD_OPTION('auth.cookieName', 'a cookie name', ''));
  }
  for (const path of ['corsOrigins', 'auth.privateTopics']) {
    const got = value(path);
    if (!Array.isArray(got) || !got.every((item) => typeof item === 'string')) {
      throw new Error(BAD_OPTION(path, 'an array of strings', got));
    }
  }
  if (typeof options.auth.requireExp !== 'boolean') {
    throw new Error(BAD_OPTION('auth.requireExp', 'true or false', options.auth.requireExp));
  }
  for (const path of [
    'auth.secret',
    'auth.publicKey',
    'auth.jwksUrl',
    'auth.audience',
    'auth.issuer',
  ]) {
    const got = value(path);
    if (got !== undefined && (typeof got !== 'string' || got === '')) {
      throw new Error(BAD_OPTION(path, 'a non-empty string when set', got));
    }
  }
  const keys = ['secret', 'publicKey', 'jwksUrl'].filter(
    (key) => options.auth[key as 'secret'] !== undefined,
  );
  if (keys.length > 1) {
    throw new Error(TWO_KEYS(keys.map((key) => `auth.${key}`)));
  }
  return options;
}

/** Segments of unreserved URL characters: nothing Nest's router would read as a parameter. */
const ROUTE_PATH = /^[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

function routePath(option: string, got: unknown): string {
  const path = typeof got === 'string' ? got.replace(/^\/+|\/+$/g, '') : undefined;
  if (path === undefined || !ROUTE_PATH.test(path) || /(?:^|\/)\.{1,2}(?:\/|$)/.test(path)) {
    throw new Error(BAD_OPTION(option, 'a path of letters, digits and -._~ segments', got));
  }
  return path;
}

/**
 * The `routes` extra, checked when SseModule is imported (its controllers are made then), with
 * its paths trimmed of slashes.
 */
export function resolveSseRoutes(
  routes: false | SseRoutesOptions | undefined,
): ResolvedSseRoutes | false {
  if (routes === false || routes === undefined) {
    return false;
  }
  if (typeof routes !== 'object' || routes === null) {
    throw new Error(BAD_OPTION('routes', 'false or { path, topicsPath? }', routes));
  }
  const path = routePath('routes.path', routes.path);
  const topicsPath =
    routes.topicsPath === false
      ? false
      : routes.topicsPath === undefined
        ? `${path}/topics`
        : routePath('routes.topicsPath', routes.topicsPath);
  if (topicsPath === path) {
    throw new Error(BAD_OPTION('routes.topicsPath', 'another path than routes.path', topicsPath));
  }
  return { path, topicsPath };
}
