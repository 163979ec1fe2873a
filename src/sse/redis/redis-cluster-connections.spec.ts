import { clusterSeeds } from './redis-cluster-connections.js';

describe('the seed nodes of a Redis Cluster, from REDIS_URL', () => {
  it('takes every URL of a comma-separated list, with 6379 when no port is given', () => {
    expect(clusterSeeds('redis://10.0.0.1:7000, redis://10.0.0.2,redis://[::1]:7002,')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      options: {},
    });
  });

  it('applies the first URL’s credentials and TLS to every node', () => {
    const { nodes, options } = clusterSeeds('rediss://ripple:p%40ss@a:7000,rediss://b:7000');
    expect(nodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7000 },
    ]);
    expect(options).toEqual({ username: 'ripple', password: 'p@ss', tls: {} });
  });
});
