import { BAD_OPTION, TWO_KEYS } from './sse.messages.js';
import type { ResolvedSseOptions } from './sse-options.interface.js';

/** The smallest value each numeric option takes; each must also be a safe integer. */
const INTEGER_MINIMUMS: Record<string, number> = {
  historySize: 1,
  memoryHistoryMaxBytes: 1,
  idempotencyWindowMs: 1,
  idempotencyMaxKeys: 1,
  replayPageSize: 1,
  // interval(0) would spin: a heartbeat needs a period.
  heartbeatMs: 1,
  retryMs: 0,
  maxTopicsPerConnection: 1,
  maxPayloadBytes: 1,
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
