import { Logger } from '@nestjs/common';
import { Cluster, type ClusterNode, type Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_COMMAND_TIMEOUT_MS, quit, RedisConnectionSet } from './redis-connection-set.js';
import { ShardedPubSub } from './sharded-pubsub.js';

/**
 * The instance's connections to a Redis Cluster: ioredis's cluster client for commands and
 * scripts (one connection per master it talks to, each command sent to the owner of its key's
 * slot, MOVED and ASK followed), and sharded subscriptions on one connection per master.
 */
export class RedisClusterConnections extends RedisConnectionSet {
  protected readonly logger = new Logger(RedisClusterConnections.name);
  readonly command: Cluster;
  readonly pubsub: ShardedPubSub;

  constructor(
    /** Seed nodes: a comma-separated list of redis:// URLs; the others are discovered. */
    seedUrls: string,
    keyPrefix: string,
    /** A command not answered by then fails (see RedisConnectionSet). */
    commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {
    super(keyPrefix);
    const seeds = clusterSeeds(seedUrls);
    const nodes = seeds.nodes;
    // On every node's connection, the subscribers' included: a hung master answers nothing.
    const options: RedisOptions = { ...seeds.options, commandTimeout: commandTimeoutMs };
    this.command = new Cluster(nodes, {
      redisOptions: { ...options, connectionName: 'ripple:command' },
      // While a shard is away a publish must fail soon (503), not wait in a queue.
      enableOfflineQueue: false,
      // One write per shard per turn rather than one per publish (see RedisConnections).
      enableAutoPipelining: true,
      clusterRetryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2000),
    });
    this.pubsub = new ShardedPubSub(this.command, {
      ...options,
      connectionName: 'ripple:subscriber',
    });
    this.command.on('error', (err: Error) => this.markDown('cluster', err.message));
    this.command.on('ready', () => this.markUp('cluster'));
    this.command.on('node error', (err: Error, node: string) =>
      this.markDown(`cluster node ${node}`, err.message),
    );
    // A node's connection that works (again): a master back, or a replica that took over.
    this.command.on('+node', (redis: Redis) =>
      redis.once('ready', () =>
        this.markUp(`cluster node ${redis.options.host}:${redis.options.port}`),
      ),
    );
  }

  /** The cluster client is connected and has the slot map. */
  get ready(): boolean {
    return this.command.status === 'ready';
  }

  /** The cluster client; the subscriber connections (one per master) come and go with the masters. */
  get connectionsUp(): { command: boolean } {
    return { command: this.ready };
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.pubsub.close();
    await quit(this.command);
  }
}

/**
 * The seed nodes of a comma-separated list of redis:// (or rediss://) URLs. Credentials and TLS
 * come from the first, and apply to every node: the others are found through CLUSTER SLOTS, which
 * gives only addresses.
 */
export function clusterSeeds(seedUrls: string): { nodes: ClusterNode[]; options: RedisOptions } {
  const urls = seedUrls
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0)
    .map((url) => new URL(url));
  const [first] = urls;
  const options: RedisOptions = {};
  if (first?.username) {
    options.username = decodeURIComponent(first.username);
  }
  if (first?.password) {
    options.password = decodeURIComponent(first.password);
  }
  if (first?.protocol === 'rediss:') {
    options.tls = {};
  }
  return {
    nodes: urls.map((url) => ({
      // An IPv6 address comes in brackets.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? 6379 : Number(url.port),
    })),
    options,
  };
}
