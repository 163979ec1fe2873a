import { describeHistoryContract } from '../../test/contracts/history.contract.js';
import { describePublishScriptContract } from '../../test/contracts/publish-script.contract.js';
import { redisSeams } from '../../test/contracts/seams.js';
import { describeTransportContract } from '../../test/contracts/transport.contract.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL } from '../../test/utils/redis.js';
import { RedisConnections } from './redis/redis-connections.js';

const describeRedis = await describeWithRedis();

const makeRedis = redisSeams(
  'seams',
  (prefix) => new RedisConnections(TEST_REDIS_URL, prefix),
  (prefix) => dropPrefix(TEST_REDIS_URL, prefix),
);

describeRedis('Redis seams', () => {
  describeTransportContract('redis', makeRedis);
  describeHistoryContract('redis', makeRedis);
  describePublishScriptContract(
    'redis',
    (prefix) => new RedisConnections(TEST_REDIS_URL, prefix),
    (prefix) => dropPrefix(TEST_REDIS_URL, prefix),
  );
});
