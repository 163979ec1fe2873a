import type { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection-set.js';
import {
  NO_CLUSTER_MASTER_ANSWERS,
  REDIS_PING_FAILED,
  REDIS_PING_TIMEOUT,
} from './redis.messages.js';

/** Far above a PING's round trip on any network Ripple should run on, below a probe's timeout. */
const PING_TIMEOUT_MS = 500;

/** One PING through an existing connection (no connection per probe), with a deadline. */
export async function ping(client: RedisClient): Promise<Record<string, never>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping().catch((err: Error) => {
        throw new Error(REDIS_PING_FAILED(err.message));
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(REDIS_PING_TIMEOUT(PING_TIMEOUT_MS))),
          PING_TIMEOUT_MS,
        );
      }),
    ]);
    return {};
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every master of a cluster is asked, and one that answers is enough: a shard down is not every
 * topic down, and the instance serves the others.
 */
export async function pingMasters(
  cluster: Cluster,
): Promise<{ masters: number; unreachable?: string[] }> {
  const masters = cluster.nodes('master');
  const results = await Promise.allSettled(masters.map((node) => ping(node)));
  const unreachable = masters
    .filter((_, i) => results[i].status === 'rejected')
    .map((node) => `${node.options.host}:${node.options.port}`);
  if (unreachable.length === masters.length) {
    throw new Error(NO_CLUSTER_MASTER_ANSWERS(masters.length));
  }
  return unreachable.length > 0
    ? { masters: masters.length, unreachable }
    : { masters: masters.length };
}
