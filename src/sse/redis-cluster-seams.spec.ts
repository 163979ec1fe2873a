import { createRequire } from 'node:module';
import { Cluster } from 'ioredis';
import { firstValueFrom, filter } from 'rxjs';
import { describeHistoryContract } from '../../test/contracts/history.contract.js';
import {
  describePublishScriptContract,
  runPublishScript,
} from '../../test/contracts/publish-script.contract.js';
import { freshTopic, redisSeams } from '../../test/contracts/seams.js';
import { describeTransportContract } from '../../test/contracts/transport.contract.js';
import { LossyProxy } from '../../test/utils/lossy-proxy.js';
import { testPrefix } from '../../test/utils/redis.js';
import {
  clusterAdmin,
  describeWithRedisCluster,
  dropClusterPrefix,
  shardSubscribers,
  useRedisCluster,
} from '../../test/utils/redis-cluster.js';
import { until } from '../../test/utils/until.js';
import type { ChannelSignal } from './redis/pubsub.interface.js';
import { clusterSeeds, RedisClusterConnections } from './redis/redis-cluster-connections.js';
import { hashSlot, redisKeys } from './redis/redis-keys.js';
import { publishScript, type PublishCommand } from './redis/redis-scripts.js';
import { ShardedPubSub } from './redis/sharded-pubsub.js';
import { RedisTransport } from './redis/redis-transport.js';
import { SUBSCRIBED, UNSUBSCRIBED } from './transport/transport.interface.js';

/** ioredis's own slot function (a dependency of ioredis), as a second opinion on ours. */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

const describeCluster = describeWithRedisCluster();

describeCluster('Redis Cluster seams (sharded pub/sub)', () => {
  const cluster = useRedisCluster();
  const makeCluster = redisSeams(
    'cluster-seams',
    (prefix) => new RedisClusterConnections(cluster.current.url, prefix),
    (prefix) => dropClusterPrefix(cluster.current, prefix),
  );

  describeTransportContract('redis-cluster', makeCluster);
  describeHistoryContract('redis-cluster', makeCluster);
  describePublishScriptContract(
    'redis-cluster',
    (prefix) => new RedisClusterConnections(cluster.current.url, prefix),
    (prefix) => dropClusterPrefix(cluster.current, prefix),
  );

  describe('beyond the contract', () => {
    const prefix = testPrefix('cluster-shards');
    const keys = redisKeys(prefix);
    let admin: Cluster;
    let backend: RedisClusterConnections;
    let transport: RedisTransport;

    /** The master that owns a slot, by `host:port`. */
    const ownerOf = (slot: number): string => admin.slots[slot][0];

    beforeAll(async () => {
      admin = await clusterAdmin(cluster.current);
      backend = new RedisClusterConnections(cluster.current.url, prefix);
      transport = new RedisTransport(backend, keys, 10);
      expect(await backend.whenReady(5000)).toBe(true);
    });
    afterAll(async () => {
      await backend.onApplicationShutdown();
      admin.disconnect();
      await dropClusterPrefix(cluster.current, prefix);
    });

    it('spreads topics over every shard: the hash tag makes no hot shard', async () => {
      const masters = admin
        .nodes('master')
        .map((node) => `${node.options.host}:${node.options.port}`);
      expect(masters).toHaveLength(3);
      // 9,000 topic names as an application makes them: shared prefixes, counters, few letters.
      const topics = Array.from({ length: 3000 }, (_, i) => [
        `orders.${i}`,
        `user:${i}:feed`,
        `ticker.${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}.eur`,
      ]).flat();
      expect(new Set(topics).size).toBe(9000);
      const perShard = new Map<string, number>(masters.map((master) => [master, 0]));
      const slots = new Set<number>();
      for (const topic of topics) {
        const slot = hashSlot(keys.live(topic));
        // A topic's stream and channel share a slot: the topic's, whatever the prefix.
        expect(hashSlot(keys.log(topic))).toBe(slot);
        expect(slot).toBe(calculateSlot(topic));
        slots.add(slot);
        perShard.set(ownerOf(slot), (perShard.get(ownerOf(slot)) ?? 0) + 1);
      }
      // The server agrees, on a sample.
      for (const topic of topics.slice(0, 30)) {
        expect(await admin.cluster('KEYSLOT', keys.live(topic))).toBe(hashSlot(keys.live(topic)));
      }
      // Each master owns a third of the slots, and gets a third of the topics, give or take 10%.
      const shares = [...perShard].map(([master, count]) => [master, count / topics.length]);
      for (const [master, share] of shares) {
        expect({ master, share: Number(share) > 0.3 && Number(share) < 0.367 }).toEqual({
          master,
          share: true,
        });
      }
      console.log(`9,000 topics over ${slots.size} slots; shares: ${JSON.stringify(shares)}`);
      expect(slots.size).toBeGreaterThan(5000);
    });

    it('subscribes each topic on the master that owns its slot, once, and leaves with the last subscriber', async () => {
      // Topics until every master owns at least one.
      const topics: string[] = [];
      const owners = new Set<string>();
      while (owners.size < 3) {
        const topic = freshTopic('placed');
        topics.push(topic);
        owners.add(ownerOf(hashSlot(keys.live(topic))));
      }
      const subscriptions = topics.flatMap((topic) =>
        [1, 2].map(() => transport.subscribe(topic).subscribe()),
      );
      await Promise.all(
        topics.map((topic) =>
          firstValueFrom(transport.subscribe(topic).pipe(filter((s) => s === SUBSCRIBED))),
        ),
      );
      const placed = backend.pubsub.subscriptions;
      expect(new Set(placed.keys())).toEqual(owners);
      for (const topic of topics) {
        const channel = keys.live(topic);
        expect(placed.get(ownerOf(hashSlot(channel)))).toContain(channel);
        expect(await shardSubscribers(admin, channel)).toBe(1);
      }

      subscriptions.forEach((subscription) => subscription.unsubscribe());
      for (const topic of topics) {
        await until(
          async () => (await shardSubscribers(admin, keys.live(topic))) === 0,
          `no subscription to ${topic} left`,
        );
      }
      // No subscriber connection is kept for nothing.
      expect(backend.pubsub.subscriptions.size).toBe(0);
    });

    it('never settles on a replica: a slot map that names one is refreshed until the master is found', async () => {
      const channel = keys.live(freshTopic('stale'));
      const slot = hashSlot(channel);
      const [master, replica] = admin.slots[slot];
      // A map that is behind a failover: the slot's owner is (still) said to be its replica.
      const slots: string[][] = [];
      slots[slot] = [replica];
      let refreshes = 0;
      const behind = {
        slots,
        refreshSlotsCache: (done: () => void) => {
          refreshes++;
          slots[slot] = [master];
          done();
        },
      } as unknown as Cluster;
      const pubsub = new ShardedPubSub(behind, {});
      const signals: ChannelSignal[] = [];
      const subscription = pubsub.channel(channel).subscribe((signal) => signals.push(signal));
      try {
        await until(() => signals.includes(SUBSCRIBED), 'the subscription');
        expect(pubsub.subscriptions).toEqual(new Map([[master, [channel]]]));
        expect(refreshes).toBe(1);
        await admin.spublish(channel, 'heard');
        await until(() => signals.includes('heard'), 'the message');
        // Placed on the replica first, found out, placed on the master.
        expect(signals).toEqual([UNSUBSCRIBED, SUBSCRIBED, 'heard']);
      } finally {
        subscription.unsubscribe();
        pubsub.close();
      }
    });

    it("stores a publish once when the owning master's answer is lost and ioredis sends it again", async () => {
      const topic = freshTopic('lost');
      const owner = ownerOf(hashSlot(keys.live(topic)));
      const proxy = await LossyProxy.start(`redis://${owner}`);
      // The slot map names the master; the client reaches it through the proxy.
      const client = new Cluster(clusterSeeds(cluster.current.url).nodes, {
        natMap: { [owner]: { host: '127.0.0.1', port: Number(new URL(proxy.url).port) } },
      });
      client.on('error', () => undefined);
      client.on('node error', () => undefined);
      client.defineCommand('ripplePublish', { numberOfKeys: 3, lua: publishScript('SPUBLISH') });
      const redis = client as Cluster & PublishCommand;
      const publish = (publishId: string, data: string) =>
        runPublishScript(redis, keys, topic, publishId, data);
      try {
        // The first run loads the script; the next one runs it by its hash.
        await publish('first', '"first"');
        const lost = proxy.loseNextAnswerTo('evalsha');
        const id = await publish('lost', '"lost"');
        await lost;
        const entries = await admin.xrange(keys.log(topic), '-', '+');
        expect(entries.map(([, fields]) => fields[1])).toEqual(['"first"', '"lost"']);
        expect(id).toBe(entries[1][0]);
      } finally {
        client.disconnect();
        await proxy.close();
      }
    });

    it('publishes with SPUBLISH on the owning shard: a classic subscriber hears nothing', async () => {
      const topic = freshTopic('sharded');
      const channel = keys.live(topic);
      const owner = admin.nodes('master').find((node) => {
        return `${node.options.host}:${node.options.port}` === ownerOf(hashSlot(channel));
      });
      const classic = owner!.duplicate();
      const heard: string[] = [];
      classic.on('message', (_channel: string, message: string) => heard.push(message));
      await classic.subscribe(channel);
      const received = firstValueFrom(
        transport.subscribe(topic).pipe(filter((s) => s !== SUBSCRIBED)),
      );
      await firstValueFrom(transport.subscribe(topic).pipe(filter((s) => s === SUBSCRIBED)));
      const stored = await transport.publish(topic, { data: '"sharded"' });
      expect(await received).toEqual(stored);
      expect(heard).toEqual([]);
      classic.disconnect();
    });
  });
});
