import type { Provider } from '@nestjs/common';
import { LEADER_LOCK, type LeaderLock } from './leader-lock.interface.js';
import { MemoryLeaderLock } from './memory-leader-lock.js';

/**
 * The default `LEADER_LOCK`: one process leads everything. Where the transport is Redis, this is
 * the factory that picks the Redis lease lock instead.
 */
export const leaderLockProvider: Provider<LeaderLock> = {
  provide: LEADER_LOCK,
  useFactory: (): LeaderLock => new MemoryLeaderLock(),
};
