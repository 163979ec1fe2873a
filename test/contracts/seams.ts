import type { History } from '../../src/sse/history/history.interface.js';
import { RedisHistory } from '../../src/sse/redis/redis-history.js';
import type { RedisConnectionSet } from '../../src/sse/redis/redis-connection-set.js';
import { redisKeys } from '../../src/sse/redis/redis-keys.js';
import { RedisTransport } from '../../src/sse/redis/redis-transport.js';
import type { Transport } from '../../src/sse/transport/transport.interface.js';
import { testPrefix } from '../utils/redis.js';

/** One backend's pair of seams, made fresh for each test, with a retention of `historySize`. */
export interface Seams {
  transport: Transport;
  history: History;
  close(): Promise<void>;
}

export type MakeSeams = (options: { historySize: number }) => Promise<Seams>;

let counter = 0;

/** Topic names no other test (or earlier run against a shared Redis) has used. */
export function freshTopic(label: string): string {
  counter++;
  return `${label}.${process.pid}.${Date.now().toString(36)}.${counter}`;
}

/**
 * The Redis seams on a backend of their own for each test (its own key prefix), as an instance
 * builds them: the history and the transport share the backend's connections. `drop` deletes
 * what a test wrote under its prefix.
 */
export function redisSeams(
  label: string,
  connect: (prefix: string) => RedisConnectionSet,
  drop: (prefix: string) => Promise<void>,
): MakeSeams {
  return async ({ historySize }) => {
    const prefix = testPrefix(label);
    const backend = connect(prefix);
    const keys = redisKeys(prefix);
    const history = new RedisHistory(backend, keys);
    const transport = new RedisTransport(backend, keys, historySize);
    expect(await backend.whenReady(5000)).toBe(true);
    return {
      transport,
      history,
      close: async () => {
        await backend.onApplicationShutdown();
        await drop(prefix);
      },
    };
  };
}
