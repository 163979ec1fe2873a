import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Cluster } from 'ioredis';
import type { RedisBackend, RedisClient } from '../../sse/redis/redis-backend.js';
import { REDIS_CONNECTIONS } from '../../sse/sse.providers.js';
import {
  NO_CLUSTER_MASTER_ANSWERS,
  REDIS_NOT_CONNECTED,
  REDIS_PING_FAILED,
  REDIS_PING_TIMEOUT,
} from './health.messages.js';

/** Far above a PING's round trip on any network Ripple should run on, below a probe's timeout. */
const PING_TIMEOUT_MS = 500;

/**
 * Redis answers, through the instance's own connections (no extra connection per probe): its
 * connections are up (on one Redis, the subscriber's too: without it no live event arrives) and a
 * PING comes back in time. On a Redis Cluster every master is asked, and one that answers is
 * enough: a shard down is not every topic down, and the instance serves the others.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_CONNECTIONS) private readonly redis: RedisBackend | null,
  ) {}

  /** Whether the transport uses Redis at all. */
  get inUse(): boolean {
    return this.redis !== null;
  }

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const redis = this.redis;
    return this.indicators.check(key).attempt(async () => {
      if (!redis?.ready) {
        throw new Error(REDIS_NOT_CONNECTED());
      }
      return redis.command instanceof Cluster ? pingMasters(redis.command) : ping(redis.command);
    });
  }
}

async function ping(client: RedisClient): Promise<Record<string, never>> {
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

async function pingMasters(cluster: Cluster): Promise<{ masters: number; unreachable?: string[] }> {
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
