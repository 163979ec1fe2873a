import { Redis } from 'ioredis';

/** The Redis the tests use: REDIS_URL, else the local default. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * `describe` when Redis answers; otherwise a loud skip, except under CI=true, where a missing Redis
 * fails the run: CI must never pass by skipping the Redis suites.
 */
export async function describeWithRedis(): Promise<jest.Describe> {
  if (await answers(TEST_REDIS_URL)) {
    return describe;
  }
  const message = `Redis does not answer at ${TEST_REDIS_URL}: the Redis suites cannot run`;
  if (process.env.CI === 'true') {
    throw new Error(`${message} (CI=true, so this fails)`);
  }
  console.warn(
    `\n*** SKIPPED: ${message}. Start one: redis-server --daemonize yes --port 6379 ***\n`,
  );
  return describe.skip;
}

/** A key prefix no other test run shares. */
export function testPrefix(label: string): string {
  return `ripple-test:${label}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        await client.del(...keys);
      }
    } while (cursor !== '0');
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
