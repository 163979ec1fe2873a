import type { Provider } from '@nestjs/common';
import { REDIS_CONNECTIONS } from '../../sse/sse.providers.js';
import type { RedisBackend } from '../../sse/redis/redis-backend.js';
import type { ProducersModuleOptions } from '../producers-module-options.interface.js';
import { PRODUCERS_MODULE_OPTIONS } from '../producers.module-definition.js';
import { LEADER_LOCK, type LeaderLock } from './leader-lock.interface.js';
import { MemoryLeaderLock } from './memory-leader-lock.js';
import { RedisLeaderLock } from './redis-leader-lock.js';

const DEFAULT_LEASE_MS = 10_000;

/**
 * `LEADER_LOCK`: a Redis lease when the hub's transport is Redis or a Redis Cluster (on the hub's
 * own command client), else the lock of a single process, which leads everything.
 */
export const leaderLockProvider: Provider<LeaderLock> = {
  provide: LEADER_LOCK,
  inject: [PRODUCERS_MODULE_OPTIONS, { token: REDIS_CONNECTIONS, optional: true }],
  useFactory: (options: ProducersModuleOptions, redis?: RedisBackend | null): LeaderLock =>
    redis
      ? new RedisLeaderLock(
          redis.command,
          redis.keyPrefix,
          options.leaseMs ?? DEFAULT_LEASE_MS,
          options.instanceId,
        )
      : new MemoryLeaderLock(),
};
