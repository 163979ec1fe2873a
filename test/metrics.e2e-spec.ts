import { Registry } from 'prom-client';
import { SseHub } from '../src/sse/index.js';
import { signToken, TEST_SECRET } from './utils/auth.js';
import { parsePrometheus, scrape, Scrape } from './utils/prometheus.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { stalledClient } from './utils/stalled-client.js';
import { ADAPTERS, post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const OPEN = 'ripple_connections_open';
const OPENED = 'ripple_connections_opened_total';
const CLOSED = 'ripple_connections_closed_total';
const REFUSED = 'ripple_connections_refused_total';
const PUBLISHED = 'ripple_events_published_total';
const DELIVERED = 'ripple_events_delivered_total';
const LATENCY = 'ripple_publish_to_write_seconds';

const describeRedis = await describeWithRedis();
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Waits until a scrape of `url` satisfies `check`, and returns that scrape. */
async function scrapeUntil(
  url: string,
  check: (metrics: Scrape) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<Scrape> {
  let last: Scrape | undefined;
  await until(
    async () => {
      last = await scrape(url);
      return check(last);
    },
    what,
    timeoutMs,
  );
  return last!;
}

describe.each(ADAPTERS)('GET /metrics (e2e), on %s', (adapter) => {
  const apps: TestApp[] = [];
  const readers: SseReader[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const t = await startApp({ RIPPLE_ADAPTER: adapter, ...env });
    apps.push(t);
    return t;
  };
  const open = async (t: TestApp, query: string, headers: Record<string, string> = {}) => {
    const reader = await SseReader.open(`${t.url}/events?${query}`, headers);
    readers.push(reader);
    return reader;
  };

  afterEach(async () => {
    readers.splice(0).forEach((reader) => reader.close());
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });

  it('counts streams, events published and delivered, and their latency, after a workload', async () => {
    const t = await start({ RIPPLE_INSTANCE_ID: 'metrics-a' });
    // Seven streams: one-topic ones (written by the fan-out) and two-topic ones (by their writer).
    const queries = ['topic=a', 'topic=a', 'topic=a', 'topic=b', 'topic=b'];
    queries.push('topic=a&topic=b', 'topic=a&topic=b');
    const streams = await Promise.all(queries.map((query) => open(t, query)));
    await Promise.all(streams.map((reader) => reader.framesOf('retry', 1)));
    const before = await scrape(t.metricsUrl!);
    expect(before.value(OPEN, { instance: 'metrics-a' })).toBe(7);
    expect(before.value(OPENED)).toBe(7);

    const perTopic = { a: 20, b: 15 };
    for (let i = 0; i < perTopic.a; i++) {
      expect((await post(`${t.url}/events/a`, { data: { i } })).status).toBe(201);
    }
    for (let i = 0; i < perTopic.b; i++) {
      expect((await post(`${t.url}/events/b`, { data: { i } })).status).toBe(201);
    }
    await Promise.all(
      streams.map(async (reader, n) => {
        await reader.framesOf('b', queries[n].includes('b') ? perTopic.b : 0);
        await reader.framesOf('a', queries[n].includes('a') ? perTopic.a : 0);
      }),
    );

    const after = await scrape(t.metricsUrl!);
    expect(after.value(PUBLISHED, { topic: 'a' })).toBe(20);
    expect(after.value(PUBLISHED, { topic: 'b' })).toBe(15);
    // a: 3 one-topic + 2 two-topic streams; b: 2 + 2.
    expect(after.value(DELIVERED, { topic: 'a' })).toBe(5 * 20);
    expect(after.value(DELIVERED, { topic: 'b' })).toBe(4 * 15);
    expect(after.sum(DELIVERED)).toBe(readers.reduce((n, r) => n + r.frames.length - 1, 0));
    // One observation per event and topic on this instance, not one per stream.
    expect(after.value(`${LATENCY}_count`)).toBe(35);
    const buckets = after.matching(`${LATENCY}_bucket`);
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 35 });
    // Cumulative: each bucket holds at least what the one before it holds.
    expect(buckets.every((b, i) => i === 0 || b.value >= buckets[i - 1].value)).toBe(true);
    expect(buckets[0].labels.le).toBe('0.0005');
    expect(buckets.at(-2)?.labels.le).toBe('10');
    expect(after.value(`${LATENCY}_sum`)).toBeGreaterThanOrEqual(0);
    expect(after.value(`${LATENCY}_sum`)).toBeLessThan(35 * 5);
    expect(after.value(CLOSED, { reason: 'client' })).toBe(0);

    readers.forEach((reader) => reader.close());
    const closed = await scrapeUntil(
      t.metricsUrl!,
      (m) => m.value(OPEN, { instance: 'metrics-a' }) === 0,
      'every stream to count as closed',
    );
    expect(closed.value(CLOSED, { reason: 'client' })).toBe(7);
    expect(closed.sum(CLOSED)).toBe(7);
    expect(closed.value(OPENED)).toBe(7);
  });

  it('is Prometheus text with the process metrics, and every app in a process has its own counts', async () => {
    const [one, two] = await Promise.all([start(), start()]);
    await post(`${one.url}/events/solo`, { data: 1 });
    const res = await fetch(`${one.metricsUrl}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toMatch(/^# HELP ripple_events_published_total /m);
    expect(text).toMatch(/^# TYPE ripple_publish_to_write_seconds histogram$/m);
    const first = new Scrape(parsePrometheus(text));
    expect(first.value(PUBLISHED, { topic: 'solo' })).toBe(1);
    expect(first.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(first.matching('nodejs_eventloop_lag_seconds')).toHaveLength(1);
    // The memory transport has no Redis to be up; the memory lock leads, but no producer runs.
    expect(first.matching('ripple_redis_up')).toHaveLength(0);
    expect(first.matching('ripple_producer_leader')).toHaveLength(0);
    const second = await scrape(two.metricsUrl!);
    expect(second.matching(PUBLISHED)).toHaveLength(0);
  });

  it('gives at most RIPPLE_METRICS_MAX_TOPICS topics a label, and counts the rest as _other', async () => {
    const t = await start({ RIPPLE_METRICS_MAX_TOPICS: '2' });
    const [t1, t3, t5] = await Promise.all(
      ['t1', 't3', 't5'].map((topic) => open(t, `topic=${topic}`)),
    );
    await Promise.all([t1, t3, t5].map((reader) => reader.framesOf('retry', 1)));
    for (const topic of ['t1', 't2', 't3', 't4', 't5', 't1']) {
      expect((await post(`${t.url}/events/${topic}`, { data: topic })).status).toBe(201);
    }
    await Promise.all([t1.framesOf('t1', 2), t3.framesOf('t3', 1), t5.framesOf('t5', 1)]);
    const metrics = await scrape(t.metricsUrl!);
    // The first two topics counted keep their label; every later one is _other.
    const labelled = (name: string) => metrics.matching(name).map((s) => s.labels.topic);
    expect(labelled(PUBLISHED).sort()).toEqual(['_other', 't1', 't2']);
    expect(labelled(DELIVERED).sort()).toEqual(['_other', 't1', 't2']);
    expect(metrics.value(PUBLISHED, { topic: 't1' })).toBe(2);
    expect(metrics.value(PUBLISHED, { topic: 't2' })).toBe(1);
    expect(metrics.value(PUBLISHED, { topic: '_other' })).toBe(3);
    expect(metrics.value(DELIVERED, { topic: 't1' })).toBe(2);
    expect(metrics.value(DELIVERED, { topic: 't2' })).toBe(0);
    expect(metrics.value(DELIVERED, { topic: '_other' })).toBe(2);
  });

  it('counts a slow consumer dropped, and a stream whose socket does not drain', async () => {
    const t = await start({ RIPPLE_MAX_BUFFER_BYTES: String(16 * 1024), RIPPLE_HISTORY_SIZE: '4' });
    const hub = t.app.get(SseHub);
    await stalledClient(t.url, '/events?topic=slow');
    const big = 'x'.repeat(256 * 1024);
    // Until the loopback buffers are full and the backlog passes the bound: a few MB.
    for (let i = 0; i < 200 && hub.connectionCount > 0; i++) {
      await hub.publish('slow', big);
      await nextTurn();
    }
    const dropped = await scrapeUntil(
      t.metricsUrl!,
      (m) => m.value(CLOSED, { reason: 'slow-consumer' }) === 1,
      'the slow consumer to be dropped',
    );
    expect(dropped.value(OPEN, {})).toBe(0);
    expect(dropped.value(CLOSED, { reason: 'client' })).toBe(0);

    const u = await start({
      RIPPLE_WRITE_TIMEOUT_MS: '200',
      RIPPLE_MAX_BUFFER_BYTES: String(256 * 1024 * 1024),
      RIPPLE_HISTORY_SIZE: '4',
    });
    const uHub = u.app.get(SseHub);
    await stalledClient(u.url, '/events?topic=stuck');
    // Full loopback buffers, a backlog far below the bound, and the timeout's time to pass.
    const deadline = Date.now() + 5000;
    while (uHub.connectionCount > 0 && Date.now() < deadline) {
      await uHub.publish('stuck', big);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await scrapeUntil(
      u.metricsUrl!,
      (m) => m.value(CLOSED, { reason: 'write-timeout' }) === 1,
      'the stalled stream to time out',
    );
  });

  it('counts refusals by reason, and streams ended by their maximum age', async () => {
    const t = await start({ RIPPLE_MAX_CONNECTIONS: '1', RIPPLE_MAX_CONNECTION_AGE_MS: '300' });
    expect((await open(t, 'topic=bad!')).status).toBe(400);
    const first = await open(t, 'topic=aged');
    await first.framesOf('retry', 1);
    expect((await open(t, 'topic=aged')).status).toBe(503);
    await first.waitForEnd(3000);
    const metrics = await scrapeUntil(
      t.metricsUrl!,
      (m) => m.value(CLOSED, { reason: 'max-age' }) === 1,
      'the stream to end at its age',
    );
    expect(metrics.value(REFUSED, { reason: 'invalid' })).toBe(1);
    expect(metrics.value(REFUSED, { reason: 'instance-full' })).toBe(1);
    expect(metrics.value(OPENED)).toBe(1);
    expect(metrics.sum(CLOSED)).toBe(1);
  });

  it('counts a stream refused for want of a token, and one ended when its token expired', async () => {
    const t = await start({
      RIPPLE_JWT_SECRET: TEST_SECRET,
      RIPPLE_JWT_CLOCK_SKEW_S: '0',
      RIPPLE_PRIVATE_TOPICS: 'private.*',
    });
    expect((await open(t, 'topic=private.x')).status).toBe(401);
    const token = await signToken({ subscribe: ['private.*'], expiresIn: 2 });
    const reader = await open(t, 'topic=private.x', { authorization: `Bearer ${token}` });
    await reader.framesOf('ripple.token-expired', 1, 5000);
    const metrics = await scrapeUntil(
      t.metricsUrl!,
      (m) => m.value(CLOSED, { reason: 'auth' }) === 1,
      'the stream to count as ended by its token',
    );
    expect(metrics.value(REFUSED, { reason: 'auth' })).toBe(1);
    expect(metrics.value(OPEN, {})).toBe(0);
  });

  it('serves /metrics on its own listener, never the main port, unless told to', async () => {
    const t = await start();
    const main = await fetch(`${t.url}/metrics`);
    const missing = await fetch(`${t.url}/no-such-route`);
    // A 404 like any route that does not exist: nothing says there is a /metrics.
    expect(main.status).toBe(404);
    expect(main.headers.get('content-type')).toBe(missing.headers.get('content-type'));
    expect(await main.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /metrics',
    });
    expect(t.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${t.metricsUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${t.metricsUrl}/topics`)).status).toBe(404);
    expect((await fetch(`${t.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);

    const onMain = await start({ RIPPLE_METRICS_PORT: 'main' });
    expect(onMain.metricsUrl).toBeUndefined();
    expect((await scrape(onMain.url)).matching('process_cpu_seconds_total')).toHaveLength(1);
    const off = await start({ RIPPLE_METRICS_PORT: 'off' });
    expect(off.metricsUrl).toBeUndefined();
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
  });

  it('releases the metrics port when the app closes', async () => {
    const t = await startApp({ RIPPLE_ADAPTER: adapter });
    const url = `${t.metricsUrl}/metrics`;
    expect((await fetch(url)).status).toBe(200);
    await t.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('counts the streams the drain ends at shutdown', async () => {
    const t = await startApp({ RIPPLE_ADAPTER: adapter });
    const registry = t.app.get(Registry);
    const reader = await open(t, 'topic=bye');
    await reader.framesOf('retry', 1);
    await t.close();
    await reader.waitForEnd();
    const metrics = new Scrape(parsePrometheus(await registry.metrics()));
    expect(metrics.value(CLOSED, { reason: 'shutdown' })).toBe(1);
    expect(metrics.sum(CLOSED)).toBe(1);
  });
});

describeRedis('GET /metrics with Redis (e2e)', () => {
  const prefix = testPrefix('metrics');
  const apps: TestApp[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((t) => t.close()));
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('says Redis is up, and which of two instances leads each producer', async () => {
    const env = {
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      RIPPLE_REDIS_PREFIX: prefix,
      RIPPLE_PRODUCERS: 'clock',
    };
    apps.push(await startApp(env), await startApp(env));
    const scrapes = await Promise.all(
      apps.map((t) =>
        scrapeUntil(
          t.metricsUrl!,
          (m) => m.matching('ripple_producer_leader', { producer: 'clock' }).length === 1,
          'the clock producer to have a leader status',
        ),
      ),
    );
    for (const metrics of scrapes) {
      expect(metrics.value('ripple_redis_up', { connection: 'command' })).toBe(1);
      expect(metrics.value('ripple_redis_up', { connection: 'subscriber' })).toBe(1);
    }
    // Exactly one of the two leads.
    await until(
      async () => {
        const leaders = await Promise.all(
          apps.map(async (t) =>
            (await scrape(t.metricsUrl!)).value('ripple_producer_leader', { producer: 'clock' }),
          ),
        );
        return leaders.sort((x, y) => x - y).join() === '0,1';
      },
      'one leader of two',
      15_000,
    );
  });
});
