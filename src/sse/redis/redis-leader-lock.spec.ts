import { afterAll, expect, it } from '@jest/globals';
import { describeLeaderLockContract } from '../../../test/contracts/leader-lock.contract.js';
import {
  describeWithRedis,
  dropPrefix,
  TEST_REDIS_URL,
  testPrefix,
} from '../../../test/utils/redis.js';
import {
  describeWithRedisCluster,
  dropClusterPrefix,
  useRedisCluster,
} from '../../../test/utils/redis-cluster.js';
import type { RedisConnectionSet } from './redis-connection-set.js';
import { RedisClusterConnections } from './redis-cluster-connections.js';
import { RedisConnections } from './redis-connections.js';
import { RedisLeaderLock } from './redis-leader-lock.js';
import { until } from '../../../test/utils/until.js';

const LEASE_MS = 600;

/** The lock's contract and its crash behaviour, on one Redis backend (a server or a cluster). */
function describeRedisLeaderLock(
  name: string,
  connect: (prefix: string) => RedisConnectionSet,
  drop: (prefix: string) => Promise<void>,
): void {
  const prefix = testPrefix('lock');
  afterAll(() => drop(prefix));

  /** Each lock on its own connections, as two instances would be. */
  const makeLock = async (leaseMs = LEASE_MS) => {
    const backend = connect(prefix);
    await backend.whenReady(5000);
    return {
      lock: new RedisLeaderLock(backend.command, prefix, leaseMs, 'test'),
      backend,
      close: () => backend.onApplicationShutdown(),
    };
  };

  describeLeaderLockContract(name, () => makeLock(), {
    decideWithinMs: 3 * LEASE_MS,
    holdMs: 2 * LEASE_MS,
  });

  it('lets another instance take over within a lease when the holder dies without releasing', async () => {
    const holder = await makeLock();
    const other = await makeLock();
    const lockName = `dies.${Date.now()}`;
    const values: boolean[] = [];
    const follower: boolean[] = [];
    const holderSub = holder.lock.lead(lockName).subscribe((v) => values.push(v));
    await until(() => values.length > 0, 'the holder to decide');
    const followerSub = other.lock.lead(lockName).subscribe((v) => follower.push(v));
    await until(() => follower.length > 0, 'the follower to decide');
    expect(values).toEqual([true]);
    expect(follower).toEqual([false]);

    // The holder's process dies: its connection drops, nothing is released, no renewal comes.
    holder.backend.command.disconnect();
    const died = Date.now();
    await until(() => follower.includes(true), 'the takeover', 3 * LEASE_MS);
    expect(follower).toEqual([false, true]);
    expect(Date.now() - died).toBeLessThanOrEqual(LEASE_MS + 100);
    followerSub.unsubscribe();
    holderSub.unsubscribe();
    await other.close();
    await holder.close();
  });

  it('steps down before its lease can expire when Redis stops answering', async () => {
    const holder = await makeLock();
    const lockName = `cut.${Date.now()}`;
    const values: boolean[] = [];
    const sub = holder.lock.lead(lockName).subscribe((v) => values.push(v));
    await until(() => values.length > 0, 'the holder to decide');
    expect(values).toEqual([true]);
    holder.backend.command.disconnect();
    const cut = Date.now();
    await until(() => values.length >= 2, 'the step-down', 2 * LEASE_MS);
    expect(values).toEqual([true, false]);
    expect(Date.now() - cut).toBeLessThan(LEASE_MS);
    sub.unsubscribe();
    await holder.close();
  });
}

const describeRedis = await describeWithRedis();

describeRedis('RedisLeaderLock', () => {
  describeRedisLeaderLock(
    'RedisLeaderLock',
    (prefix) => new RedisConnections(TEST_REDIS_URL, prefix),
    (prefix) => dropPrefix(TEST_REDIS_URL, prefix),
  );
});

describeWithRedisCluster()('RedisLeaderLock on a Redis Cluster', () => {
  const cluster = useRedisCluster();
  describeRedisLeaderLock(
    'RedisLeaderLock (redis-cluster)',
    (prefix) => new RedisClusterConnections(cluster.current.url, prefix),
    (prefix) => dropClusterPrefix(cluster.current, prefix),
  );
});
