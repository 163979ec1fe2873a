import type { Cluster } from 'ioredis';
import type { RedisClusterConnections } from '../src/sse/redis/redis-cluster-connections.js';
import { hashSlot } from '../src/sse/redis/redis-keys.js';
import { SSE_BACKEND } from '../src/sse/index.js';
import type { RedisBackend } from '../src/sse/redis/index.js';
import { compareEventIds } from '../src/sse/wire/event-id.js';
import { LogCapture } from './utils/log-capture.js';
import { testPrefix } from './utils/redis.js';
import {
  clusterAdmin,
  clusterNodes,
  describeWithRedisCluster,
  failOver,
  moveSlot,
  shardOf,
  useRedisCluster,
} from './utils/redis-cluster.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

/** What one disruption did, as clients and publishers saw it. */
interface Outcome {
  acked: number;
  refused: number;
  /** Acknowledged events that are not in the topic's history after the disruption. */
  lostByRedis: string[];
  /** The longest wait between two acknowledged publishes. */
  publishStallMs: number;
  /** The longest wait between two events on a client's stream, per client. */
  deliveryGapMs: number[];
}

const describeCluster = describeWithRedisCluster({ own: true });

describeCluster('a Redis Cluster that changes under live streams (e2e)', () => {
  const cluster = useRedisCluster({ own: true, nodeTimeoutMs: 1000 });
  const prefix = testPrefix('failover');
  const logs = [new LogCapture(), new LogCapture()];
  let apps: TestApp[];
  let admin: Cluster;
  const readers: SseReader[] = [];

  beforeAll(async () => {
    const env = {
      RIPPLE_TRANSPORT: 'redis-cluster',
      REDIS_URL: cluster.current.url,
      RIPPLE_REDIS_PREFIX: prefix,
    };
    apps = await Promise.all(logs.map((logger) => startApp(env, { logger })));
    admin = await clusterAdmin(cluster.current);
  });
  afterEach(() => {
    readers.splice(0).forEach((reader) => reader.close());
  });
  afterAll(async () => {
    admin.disconnect();
    await Promise.all(apps.map((app) => app.close()));
  });

  /** A new topic, and the slot its stream and channel live in. */
  let topics = 0;
  const topicWithSlot = () => {
    const topic = `live.${process.pid}.${++topics}`;
    return { topic, slot: hashSlot(`${prefix}{${topic}}:live`) };
  };

  /**
   * Streams `topic` from both instances while both publish to it, one event after another, and
   * runs `disrupt` in the middle. Then every acknowledged event must reach every stream, in order,
   * once; unless Redis itself lost it, and then the stream must have said `ripple.reset`.
   */
  async function streamThrough(topic: string, disrupt: () => Promise<void>): Promise<Outcome> {
    const opened = await Promise.all(
      apps.map((app) => SseReader.open(`${app.url}/events?topic=${topic}`)),
    );
    readers.push(...opened);
    await Promise.all(opened.map((reader) => reader.framesOf('retry', 1)));
    // When each event of the topic reached each stream: checked after every chunk, until it ends.
    const arrivals = opened.map((reader) => {
      const times: number[] = [];
      const count = (r: SseReader) => r.frames.filter((frame) => frame.type === topic).length;
      reader
        .waitFor(
          (r) => {
            for (let n = count(r); times.length < n;) {
              times.push(Date.now());
            }
            return r.ended;
          },
          120_000,
          'the end of the stream',
        )
        .catch(() => undefined);
      return times;
    });

    const acked: { id: string; at: number }[] = [];
    let refused = 0;
    let stop = false;
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await post(`${apps[i % 2].url}/events/${topic}`, { data: i });
        if (res.status === 201) {
          acked.push({ id: (res.body as { id: string }).id, at: Date.now() });
        } else {
          // Never anything but "retry later" (no 500): nothing was acknowledged.
          expect(res.status).toBe(503);
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();

    try {
      await until(() => acked.length >= 30, '30 acknowledged events before');
      const before = acked.length;
      await disrupt();
      await until(() => acked.length >= before + 30, '30 acknowledged events after', 15_000);
    } finally {
      stop = true;
      await publisher;
    }

    const stored = new Set(
      ((await admin.xrange(`${prefix}{${topic}}:log`, '-', '+')) as [string, string[]][]).map(
        ([id]) => id,
      ),
    );
    const lostByRedis = acked.map(({ id }) => id).filter((id) => !stored.has(id));
    const expected = acked.map(({ id }) => id).filter((id) => stored.has(id));
    const idsOf = (reader: SseReader) =>
      reader.frames
        .filter((frame) => frame.type === topic)
        .map((frame) => frame.lastEventId.slice(topic.length + 1));
    for (const reader of opened) {
      await reader.waitFor(
        (r) => expected.every((id) => idsOf(r).includes(id)),
        10_000,
        'every acknowledged event that Redis kept',
      );
      const ids = idsOf(reader);
      // In order, once: ids only grow.
      expect(ids.every((id, i) => i === 0 || compareEventIds(ids[i - 1], id) < 0)).toBe(true);
      const resets = reader.frames.filter((frame) => frame.type === 'ripple.reset');
      if (lostByRedis.length === 0) {
        expect(resets).toEqual([]);
      } else {
        // Redis lost writes it had acknowledged (a replica takes over without them): the client
        // is told to reload, the only honest answer.
        expect(resets.length).toBeGreaterThan(0);
      }
    }
    const longestGap = (times: number[]) =>
      times.reduce((most, at, i) => (i === 0 ? 0 : Math.max(most, at - times[i - 1])), 0);
    return {
      acked: acked.length,
      refused,
      lostByRedis,
      publishStallMs: longestGap(acked.map(({ at }) => at)),
      deliveryGapMs: arrivals.map(longestGap),
    };
  }

  const report = (what: string, outcome: Outcome, extra = '') =>
    console.log(
      `${what}: ${outcome.acked} acknowledged, ${outcome.refused} refused (503), ` +
        `longest publish stall ${outcome.publishStallMs} ms, longest gap on the streams ` +
        `${outcome.deliveryGapMs.join(' / ')} ms${extra}; ` +
        (outcome.lostByRedis.length === 0
          ? 'Redis lost nothing acknowledged'
          : `REDIS LOST ${outcome.lostByRedis.length} ACKNOWLEDGED EVENT(S) (async replication): the streams said ripple.reset`),
    );

  it('loses nothing acknowledged when the topic’s slot moves to another master mid-stream', async () => {
    const { topic, slot } = topicWithSlot();
    const { master: from } = await shardOf(cluster.current, slot);
    const to = (await clusterNodes(cluster.current)).find(
      (node) => node.master && node.id !== from.id,
    )!;
    let moveMs = 0;
    const outcome = await streamThrough(topic, async () => {
      const started = Date.now();
      // Half-moved for 300 ms, as a slot with many keys would be.
      await moveSlot(cluster.current, slot, to, 300);
      moveMs = Date.now() - started;
    });
    expect((await shardOf(cluster.current, slot)).master.id).toBe(to.id);
    // Both instances now subscribe where the slot is.
    for (const app of apps) {
      const backend = app.app.get<RedisBackend>(SSE_BACKEND).connections as RedisClusterConnections;
      expect(backend.pubsub.subscriptions.get(`127.0.0.1:${to.port}`) ?? []).toContain(
        `${prefix}{${topic}}:live`,
      );
    }
    expect(outcome.lostByRedis).toEqual([]);
    report(`slot ${slot} moved ${from.port} -> ${to.port} in ${moveMs} ms`, outcome);
  }, 30_000);

  it('loses nothing acknowledged when a replica takes over its master (CLUSTER FAILOVER) mid-stream', async () => {
    const { topic, slot } = topicWithSlot();
    const { master, replicas } = await shardOf(cluster.current, slot);
    let failoverMs = 0;
    const outcome = await streamThrough(topic, async () => {
      const started = Date.now();
      await failOver(replicas[0], master);
      failoverMs = Date.now() - started;
    });
    expect((await shardOf(cluster.current, slot)).master.id).toBe(replicas[0].id);
    // A manual failover waits for the replica to catch up: nothing can be lost.
    expect(outcome.lostByRedis).toEqual([]);
    report(`failover ${master.port} -> ${replicas[0].port} took ${failoverMs} ms`, outcome);
  }, 30_000);

  it('loses nothing acknowledged that Redis kept when the master is killed (kill -9) mid-stream', async () => {
    const { topic, slot } = topicWithSlot();
    // Every node agrees on the shards again after the failover before.
    await until(
      async () => (await shardOf(cluster.current, slot)).replicas.length === 1,
      'the shard to show its replica',
    );
    const { master, replicas } = await shardOf(cluster.current, slot);
    const logged = logs.map((log) => log.lines.length);
    let takeoverMs = 0;
    const outcome = await streamThrough(topic, async () => {
      const killed = Date.now();
      await cluster.current.kill(master.port);
      // One shard down is not every topic down: the instances stay ready.
      for (const app of apps) {
        expect((await fetch(`${app.url}/health`)).status).toBe(200);
      }
      await until(
        async () => (await shardOf(cluster.current, slot)).master.id === replicas[0].id,
        'the replica to take over',
        10_000,
      );
      takeoverMs = Date.now() - killed;
    });
    // Each instance says once that it lost its subscriptions there, however often it retried.
    const lost = logs
      .flatMap((log, i) => log.lines.slice(logged[i]))
      .filter(({ message }) => message.includes(`on 127.0.0.1:${master.port} lost`));
    expect(lost).toHaveLength(2);
    report(
      `master ${master.port} killed, replica ${replicas[0].port} took over after ${takeoverMs} ms`,
      outcome,
      ` (node timeout 1000 ms)`,
    );
  }, 30_000);
});
