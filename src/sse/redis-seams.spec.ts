import { describeHistoryContract } from '../../test/contracts/history.contract.js';
import type { MakeSeams } from '../../test/contracts/seams.js';
import { describeTransportContract } from '../../test/contracts/transport.contract.js';
import {
  describeWithRedis,
  dropPrefix,
  TEST_REDIS_URL,
  testPrefix,
} from '../../test/utils/redis.js';
import { RedisHistory } from './history/redis-history.js';
import { RedisConnections } from './redis/redis-connections.js';
import { redisKeys } from './redis/redis-keys.js';
import { RedisTransport } from './transport/redis-transport.js';

const describeRedis = await describeWithRedis();

const makeRedis: MakeSeams = async ({ historySize }) => {
  const prefix = testPrefix('seams');
  const connections = new RedisConnections(TEST_REDIS_URL, prefix);
  const keys = redisKeys(prefix);
  const history = new RedisHistory(connections, keys);
  const transport = new RedisTransport(connections, keys, historySize);
  expect(await connections.whenReady(5000)).toBe(true);
  return {
    transport,
    history,
    close: async () => {
      await connections.onApplicationShutdown();
      await dropPrefix(TEST_REDIS_URL, prefix);
    },
  };
};

describeRedis('Redis seams', () => {
  describeTransportContract('redis', makeRedis);
  describeHistoryContract('redis', makeRedis);
});
