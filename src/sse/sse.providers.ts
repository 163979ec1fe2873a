import type { Provider } from '@nestjs/common';
import { HISTORY, type History } from './history/history.interface.js';
import { MemoryHistory } from './history/memory-history.js';
import { RedisHistory } from './history/redis-history.js';
import type { RedisBackend } from './redis/redis-backend.js';
import { RedisClusterConnections } from './redis/redis-cluster-connections.js';
import { RedisConnections } from './redis/redis-connections.js';
import { redisKeys } from './redis/redis-keys.js';
import { SSE_MODULE_OPTIONS } from './sse.module-definition.js';
import { SSE_DEFAULTS, SSE_OPTIONS } from './sse.constants.js';
import type { ResolvedSseOptions, SseModuleOptions } from './sse-options.interface.js';
import { validateSseOptions } from './sse-options.validation.js';
import { MemoryTransport } from './transport/memory-transport.js';
import { RedisTransport } from './transport/redis-transport.js';
import { TRANSPORT } from './transport/transport.interface.js';

/** The instance's Redis connections (a RedisBackend), when the transport is Redis; null otherwise. */
export const REDIS_CONNECTIONS = Symbol('RIPPLE_REDIS_CONNECTIONS');

/**
 * Merges the defaults once, so no service has to, and refuses bad options before anything uses
 * them (the module does not start).
 */
export const optionsProvider: Provider = {
  provide: SSE_OPTIONS,
  inject: [SSE_MODULE_OPTIONS],
  useFactory: (options: SseModuleOptions): ResolvedSseOptions => {
    const defined = <T extends object>(value: T | undefined): Partial<T> =>
      Object.fromEntries(
        Object.entries(value ?? {}).filter(([, field]) => field !== undefined),
      ) as Partial<T>;
    return validateSseOptions({
      ...SSE_DEFAULTS,
      ...defined(options),
      auth: { ...SSE_DEFAULTS.auth, ...defined(options?.auth) },
    } as ResolvedSseOptions);
  },
};

/**
 * The seams, picked by the `transport` option. Built by factories so that the memory transport
 * never opens a Redis connection; Nest still runs the lifecycle hooks of what they return.
 */
export const seamProviders: Provider[] = [
  {
    provide: REDIS_CONNECTIONS,
    inject: [SSE_OPTIONS],
    useFactory: (options: ResolvedSseOptions): RedisBackend | null => {
      switch (options.transport) {
        case 'redis':
          return new RedisConnections(
            options.redisUrl,
            options.redisKeyPrefix,
            options.redisCommandTimeoutMs,
          );
        case 'redis-cluster':
          return new RedisClusterConnections(
            options.redisUrl,
            options.redisKeyPrefix,
            options.redisCommandTimeoutMs,
          );
        default:
          return null;
      }
    },
  },
  {
    provide: HISTORY,
    inject: [SSE_OPTIONS, REDIS_CONNECTIONS],
    useFactory: (options: ResolvedSseOptions, redis: RedisBackend | null): History =>
      redis
        ? new RedisHistory(redis, redisKeys(options.redisKeyPrefix))
        : new MemoryHistory(options.historySize, options.memoryHistoryMaxBytes),
  },
  {
    provide: TRANSPORT,
    inject: [SSE_OPTIONS, HISTORY, REDIS_CONNECTIONS],
    useFactory: (options: ResolvedSseOptions, history: History, redis: RedisBackend | null) =>
      redis
        ? new RedisTransport(redis, redisKeys(options.redisKeyPrefix), options.historySize, {
            commandTimeoutMs: options.redisCommandTimeoutMs,
            idempotencyWindowMs: options.idempotencyWindowMs,
          })
        : new MemoryTransport(history as MemoryHistory, {
            windowMs: options.idempotencyWindowMs,
            maxKeys: options.idempotencyMaxKeys,
          }),
  },
];
