import type { RedisConnectionSet } from '../../src/sse/redis/redis-connection-set.js';
import { SSE_BACKEND } from '../../src/sse/index.js';
import type { RedisBackend } from '../../src/sse/redis/index.js';
import { SseReader } from '../utils/sse-reader.js';
import { testPrefix } from '../utils/redis.js';
import { post, startApp, type TestApp } from '../utils/test-app.js';
import { until } from '../utils/until.js';

/** How the multi-instance suite reaches one kind of Redis (a server, a cluster). */
export interface MultiInstanceBackend {
  /** The environment of an instance on it, keys and channels under `prefix`. */
  env(prefix: string): Record<string, string>;
  /** A client for the test to look at Redis with. */
  inspect(): Promise<RedisInspector>;
  /** Deletes every key under `prefix`. */
  drop(prefix: string): Promise<void>;
  /** What a crash does to an instance's connections: they drop, and nothing says goodbye. */
  crash(backend: RedisConnectionSet): void;
}

export interface RedisInspector {
  /** How many connections are subscribed to a channel. */
  subscribers(channel: string): Promise<number>;
  /** The keys that match a pattern, on every node. */
  keys(pattern: string): Promise<string[]>;
  get(key: string): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * Several instances of the real application on one Redis backend: fan-out exactly once, one
 * order, resume on another instance, one subscription per topic per instance, per-topic keys, and
 * producers that run on one instance only and fail over.
 */
export function describeMultiInstance(name: string, backend: MultiInstanceBackend): void {
  describeInstances(name, backend);
  describeProducers(name, backend);
}

function describeInstances(name: string, backend: MultiInstanceBackend): void {
  describe(`several instances on ${name} (e2e)`, () => {
    const prefix = testPrefix('cluster');
    let a: TestApp;
    let b: TestApp;
    let redis: RedisInspector;
    const readers: SseReader[] = [];

    const open = async (app: TestApp, query: string, headers: Record<string, string> = {}) => {
      const reader = await SseReader.open(`${app.url}/events?${query}`, headers);
      readers.push(reader);
      await reader.framesOf('retry', 1);
      return reader;
    };
    const publish = async (app: TestApp, topic: string, data: unknown) => {
      const res = await post(`${app.url}/events/${topic}`, { data });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    };
    const subscribers = (topic: string) => redis.subscribers(`${prefix}{${topic}}:live`);

    beforeAll(async () => {
      const env = backend.env(prefix);
      [a, b] = await Promise.all([startApp(env), startApp(env)]);
      redis = await backend.inspect();
    });
    afterEach(() => {
      readers.splice(0).forEach((reader) => reader.close());
    });
    afterAll(async () => {
      await Promise.all([a.close(), b.close()]);
      await redis.close();
      await backend.drop(prefix);
    });

    it('is ready on every instance, having PINGed Redis through its own connections', async () => {
      for (const app of [a, b]) {
        const res = await fetch(`${app.url}/health/ready`);
        expect(res.status).toBe(200);
        // The indicator is named after the backend: `redis` or `redis-cluster`.
        const transport = backend.env('x').RIPPLE_TRANSPORT;
        expect(((await res.json()) as { info: unknown }).info).toMatchObject({
          [transport]: { status: 'up', responseTime: expect.any(Number) },
        });
      }
    });

    it('delivers an event published on one instance to the clients of both, exactly once', async () => {
      const onA = await open(a, 'topic=x1');
      const onB = await open(b, 'topic=x1');
      const { id } = await publish(b, 'x1', 'hello');
      await Promise.all([onA.framesOf('x1', 1), onB.framesOf('x1', 1)]);
      await publish(a, 'x1', 'second');
      await Promise.all([onA.framesOf('x1', 2), onB.framesOf('x1', 2)]);
      for (const reader of [onA, onB]) {
        const got = reader.frames.filter((f) => f.type === 'x1');
        expect(got.map((f) => f.data)).toEqual(['"hello"', '"second"']);
        expect(got[0].lastEventId).toBe(`x1=${id}`);
      }
    });

    it('gives every instance one order when both publish at once', async () => {
      const onA = await open(a, 'topic=order');
      const onB = await open(b, 'topic=order');
      await Promise.all(Array.from({ length: 40 }, (_, i) => publish(i % 2 ? a : b, 'order', i)));
      await Promise.all([onA.framesOf('order', 40), onB.framesOf('order', 40)]);
      const ids = (r: SseReader) =>
        r.frames.filter((f) => f.type === 'order').map((f) => f.lastEventId);
      expect(ids(onA)).toEqual(ids(onB));
      expect(new Set(ids(onA)).size).toBe(40);
    });

    it('resumes on another instance exactly from a cursor the first one issued', async () => {
      const first = await open(a, 'topic=r.a&topic=r.b');
      await publish(a, 'r.a', 1);
      await publish(b, 'r.b', 2);
      await first.framesOf('r.b', 1);
      const cursor = first.cursor;
      first.close();
      await publish(a, 'r.b', 3);
      await publish(b, 'r.a', 4);
      const again = await open(b, 'topic=r.a&topic=r.b', { 'last-event-id': cursor });
      await again.waitFor((r) => r.frames.length >= 3, 5000, 'two missed events');
      await publish(a, 'r.a', 5);
      await again.waitFor((r) => r.frames.length >= 4, 5000, 'the live event');
      expect(
        again.frames
          .slice(1)
          .map((f) => f.data)
          .sort(),
      ).toEqual(['3', '4', '5']);
      expect(again.frames.at(-1)?.data).toBe('5');
      expect(again.frames.some((f) => f.type === 'ripple.reset')).toBe(false);
    });

    it('subscribes on Redis once per topic per instance, and leaves with the last client', async () => {
      const clients = await Promise.all([1, 2, 3].map(() => open(a, 'topic=shared')));
      expect(await subscribers('shared')).toBe(1);
      const onB = await open(b, 'topic=shared');
      expect(await subscribers('shared')).toBe(2);
      clients.forEach((c) => c.close());
      await until(async () => (await subscribers('shared')) === 1, 'A to unsubscribe');
      onB.close();
      await until(async () => (await subscribers('shared')) === 0, 'B to unsubscribe');
    });

    it('keeps per-topic keys under the prefix, with the topic as the hash tag', async () => {
      await publish(a, 'keys.one', 1);
      await publish(a, 'keys.two', 2);
      const keys = (await redis.keys(`${prefix}*`)).filter((k) => k.includes('keys.'));
      // The history, and for a while a record of each publish call (so a retried one is not
      // stored twice).
      const publishRecord = (topic: string) => expect.stringMatching(`^${prefix}{${topic}}:pub:`);
      expect(keys.sort()).toEqual([
        `${prefix}{keys.one}:log`,
        publishRecord('keys.one'),
        `${prefix}{keys.two}:log`,
        publishRecord('keys.two'),
      ]);
    });
  });
}

function describeProducers(name: string, backend: MultiInstanceBackend): void {
  describe(`producers run on one instance of several, on ${name} (e2e)`, () => {
    const prefix = testPrefix('leader');
    const env = () => ({
      ...backend.env(prefix),
      RIPPLE_PRODUCERS: 'clock',
      RIPPLE_LEADER_LEASE_MS: '1000',
    });
    let redis: RedisInspector;

    beforeAll(async () => {
      redis = await backend.inspect();
    });
    afterAll(async () => {
      await redis.close();
      await backend.drop(prefix);
    });

    /** Instances A and B, both running the clock producer, once one of them leads it. */
    const startPair = async () => {
      const apps = await Promise.all([
        startApp({ ...env(), RIPPLE_INSTANCE_ID: 'A' }),
        startApp({ ...env(), RIPPLE_INSTANCE_ID: 'B' }),
      ]);
      const holder = async () =>
        (await redis.get(`${prefix}{leader:producer:clock}`))?.split(':')[0];
      try {
        await until(async () => (await holder()) !== undefined, 'a leader');
      } catch (err) {
        await Promise.all(apps.map((app) => app.close()));
        throw err;
      }
      const leader = (await holder()) === 'A' ? 0 : 1;
      return { apps, holder, leader, survivor: apps[1 - leader] };
    };

    it('publishes each tick once, and hands the producer over at once on a clean shutdown', async () => {
      const { apps, holder, leader, survivor } = await startPair();
      try {
        const reader = await SseReader.open(`${survivor.url}/events?topic=clock`);
        try {
          await reader.framesOf('clock', 3, 5000);
          const ticks = () =>
            reader.frames
              .filter((f) => f.type === 'clock')
              .map((f) => (JSON.parse(f.data) as { epochMs: number }).epochMs);
          // One producer at 1 Hz in the cluster: ticks a second apart, never two in one beat.
          const times = ticks();
          for (let i = 1; i < times.length; i++) {
            expect(times[i] - times[i - 1]).toBeGreaterThan(500);
          }

          await apps[leader].close();
          // Released on shutdown: once the old leader has closed, the lease is no longer its own
          // (not left to run out), whatever the machine's load made the close take.
          expect(await holder()).not.toBe(leader === 0 ? 'A' : 'B');
          await until(
            async () => (await holder()) === (leader === 0 ? 'B' : 'A'),
            'a new leader',
            3000,
          );
          await reader.framesOf('clock', times.length + 2, 4000);
          const after = ticks();
          for (let i = 1; i < after.length; i++) {
            expect(after[i] - after[i - 1]).toBeGreaterThan(500);
          }
        } finally {
          reader.close();
        }
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    });

    it('counts one clock tick per second across the cluster, and fails over within a lease after a crash', async () => {
      const { apps, holder, leader, survivor } = await startPair();
      try {
        const reader = await SseReader.open(`${survivor.url}/events?topic=clock`);
        const ticks = () => reader.frames.filter((f) => f.type === 'clock').length;
        try {
          await reader.framesOf('clock', 1, 3000);
          const before = ticks();
          await new Promise((resolve) => setTimeout(resolve, 3000));
          // Two instances, one producer: about three ticks in three seconds, not six.
          expect(ticks() - before).toBeGreaterThanOrEqual(2);
          expect(ticks() - before).toBeLessThanOrEqual(4);

          // The leader crashes: its Redis connections drop, nothing is released, no renewal comes.
          // (Its process would be gone; here its lock steps down and its producer stops too.)
          const crashed = apps[leader].app.get<RedisBackend>(SSE_BACKEND).connections;
          const crashedAt = Date.now();
          backend.crash(crashed);
          const newLeader = leader === 0 ? 'B' : 'A';
          await until(async () => (await holder()) === newLeader, 'the survivor to lead', 3000);
          const failoverMs = Date.now() - crashedAt;
          console.log(`failover after a crash: ${failoverMs} ms (lease 1000 ms)`);
          expect(failoverMs).toBeLessThanOrEqual(1000 + 200);
          const afterCrash = ticks();
          await reader.framesOf('clock', afterCrash + 1, 3000);
        } finally {
          reader.close();
        }
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    });
  });
}
