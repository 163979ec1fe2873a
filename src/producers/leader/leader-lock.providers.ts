import type { Provider } from '@nestjs/common';
import { SSE_BACKEND, type LeaderLock, type SseBackend } from '../../sse/index.js';
import type { ProducersModuleOptions } from '../producers-module-options.interface.js';
import { PRODUCERS_MODULE_OPTIONS } from '../producers.module-definition.js';
import { LEADER_LOCK } from '../producers.constants.js';
import { MemoryLeaderLock } from './memory-leader-lock.js';

const DEFAULT_LEASE_MS = 10_000;

/**
 * `LEADER_LOCK`: the SSE backend's lock when it has one (a Redis lease, on the backend's own
 * command connection), else the lock of a single process, which leads everything.
 */
export const leaderLockProvider: Provider<LeaderLock> = {
  provide: LEADER_LOCK,
  inject: [PRODUCERS_MODULE_OPTIONS, { token: SSE_BACKEND, optional: true }],
  useFactory: (options: ProducersModuleOptions, backend?: SseBackend): LeaderLock =>
    backend?.createLeaderLock?.({
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      instanceId: options.instanceId,
    }) ?? new MemoryLeaderLock(),
};
