import { afterAll, expect, it } from '@jest/globals';
import { describeLeaderLockContract } from '../../../test/contracts/leader-lock.contract.js';
import {
  describeWithRedis,
  dropPrefix,
  TEST_REDIS_URL,
  testPrefix,
} from '../../../test/utils/redis.js';
import { RedisConnections } from '../../sse/redis/redis-connections.js';
import { RedisLeaderLock } from './redis-leader-lock.js';
import { until } from '../../../test/utils/until.js';

const describeRedis = await describeWithRedis();
const LEASE_MS = 600;

describeRedis('RedisLeaderLock', () => {
  const prefix = testPrefix('lock');
  afterAll(() => dropPrefix(TEST_REDIS_URL, prefix));

  /** Each lock on its own connections, as two instances would be. */
  const makeLock = async (leaseMs = LEASE_MS) => {
    const connections = new RedisConnections(TEST_REDIS_URL, prefix);
    await connections.whenReady(5000);
    return {
      lock: new RedisLeaderLock(connections.command, prefix, leaseMs, 'test'),
      connections,
      close: () => connections.onApplicationShutdown(),
    };
  };

  describeLeaderLockContract('RedisLeaderLock', () => makeLock(), {
    decideWithinMs: 3 * LEASE_MS,
    holdMs: 2 * LEASE_MS,
  });

  it('lets another instance take over within a lease when the holder dies without releasing', async () => {
    const holder = await makeLock();
    const other = await makeLock();
    const name = `dies.${Date.now()}`;
    const values: boolean[] = [];
    const follower: boolean[] = [];
    const holderSub = holder.lock.lead(name).subscribe((v) => values.push(v));
    await until(() => values.length > 0, 'the holder to decide');
    const followerSub = other.lock.lead(name).subscribe((v) => follower.push(v));
    await until(() => follower.length > 0, 'the follower to decide');
    expect(values).toEqual([true]);
    expect(follower).toEqual([false]);

    // The holder's process dies: its connections drop, nothing is released, no renewal comes.
    holder.connections.command.disconnect();
    holder.connections.subscriber.disconnect();
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
    const name = `cut.${Date.now()}`;
    const values: boolean[] = [];
    const sub = holder.lock.lead(name).subscribe((v) => values.push(v));
    await until(() => values.length > 0, 'the holder to decide');
    expect(values).toEqual([true]);
    holder.connections.command.disconnect();
    const cut = Date.now();
    await until(() => values.length >= 2, 'the step-down', 2 * LEASE_MS);
    expect(values).toEqual([true, false]);
    expect(Date.now() - cut).toBeLessThan(LEASE_MS);
    sub.unsubscribe();
    await holder.close();
  });
});
