import { Redis } from 'ioredis';
import { describeMultiInstance } from './contracts/multi-instance.contract.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL } from './utils/redis.js';
import { RedisConnections } from '../src/sse/redis/redis-connections.js';

const describeRedis = await describeWithRedis();

describeRedis('on one Redis', () => {
  describeMultiInstance('one Redis', {
    env: (prefix) => ({
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      RIPPLE_REDIS_PREFIX: prefix,
    }),
    inspect: () => {
      const redis = new Redis(TEST_REDIS_URL);
      return Promise.resolve({
        subscribers: async (channel) => {
          const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
          return Number(count);
        },
        keys: (pattern) => redis.keys(pattern),
        get: (key) => redis.get(key),
        close: async () => void (await redis.quit()),
      });
    },
    drop: (prefix) => dropPrefix(TEST_REDIS_URL, prefix),
    crash: (backend) => {
      backend.command.disconnect();
      (backend as RedisConnections).subscriber.disconnect();
    },
  });
});
