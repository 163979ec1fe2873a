/** How long the runner waits before subscribing again to a `produce$()` that failed. */
export const PRODUCER_RESTART_DELAY_MS = 1000;

/** Producers take leader locks under this prefix, so other users of the lock cannot collide. */
export const PRODUCER_LOCK_PREFIX = 'producer:';

/** Injects the application's LeaderLock: the SSE backend's when it has one, else one process's. */
export const LEADER_LOCK = Symbol('LEADER_LOCK');
