import { describeMultiInstance } from './contracts/multi-instance.contract.js';
import {
  clusterAdmin,
  describeWithRedisCluster,
  dropClusterPrefix,
  shardSubscribers,
  useRedisCluster,
} from './utils/redis-cluster.js';
import type { RedisClusterConnections } from '../src/sse/redis/redis-cluster-connections.js';

describeWithRedisCluster()('on a Redis Cluster', () => {
  const cluster = useRedisCluster();

  describeMultiInstance('a Redis Cluster (sharded pub/sub)', {
    env: (prefix) => ({
      RIPPLE_TRANSPORT: 'redis-cluster',
      REDIS_URL: cluster.current.url,
      RIPPLE_REDIS_PREFIX: prefix,
    }),
    inspect: async () => {
      const admin = await clusterAdmin(cluster.current);
      return {
        subscribers: (channel) => shardSubscribers(admin, channel),
        keys: async (pattern) =>
          (await Promise.all(admin.nodes('master').map((node) => node.keys(pattern)))).flat(),
        get: (key) => admin.get(key),
        close: () => Promise.resolve(admin.disconnect()),
      };
    },
    drop: (prefix) => dropClusterPrefix(cluster.current, prefix),
    crash: (backend) => {
      backend.command.disconnect();
      (backend as RedisClusterConnections).pubsub.close();
    },
  });
});
