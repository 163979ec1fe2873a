import { REDIS_TIMED_OUT } from '../sse.messages.js';

/** A Redis call that did not answer in time; what it asked for may still be done later. */
export class RedisTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(REDIS_TIMED_OUT(what, ms));
    this.name = 'RedisTimeoutError';
  }
}

/**
 * `promise`, or a RedisTimeoutError once `ms` have passed. ioredis's own `commandTimeout` starts
 * only when a command is handed to the connection, and an auto-pipelined command waits first for
 * the pipeline before it to settle: a caller that must answer in time keeps its own deadline.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
