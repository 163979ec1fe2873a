import { performance } from 'node:perf_hooks';
import { SseHub } from '../src/sse/index.js';
import { TopicStats } from '../src/sse/topics/topic-stats.service.js';
import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

/** A summary as /topics writes it, with a topic name of the longest kind used here, is < 200 bytes. */
const MAX_SUMMARY_BYTES = 200;

/**
 * Issue 13, item 8: anonymous subscribers created 32,000 entries in 11 s, /topics grew to 5 MB,
 * and 20 parallel requests for it delayed /health/live by 2.3 s. The list is capped
 * (RIPPLE_TOPICS_MAX_TRACKED, 1000), and its cost stays small whatever clients do.
 */
describe('/topics is capped (e2e)', () => {
  const apps: TestApp[] = [];
  const readers: SseReader[] = [];

  afterEach(async () => {
    readers.splice(0).forEach((reader) => reader.close());
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });

  const start = async (env: Record<string, string> = {}) => {
    const t = await startApp(env);
    apps.push(t);
    return t;
  };
  const stream = async (t: TestApp, topic: string) => {
    const reader = await SseReader.open(`${t.url}/events?topic=${topic}`);
    readers.push(reader);
    expect(reader.status).toBe(200);
    await reader.framesOf('retry', 1);
    return reader;
  };

  it('keeps at most 1000 topics after 32,000 distinct ones, and stays cheap to ask for', async () => {
    const t = await start();
    const stats = t.app.get(TopicStats);
    const hub = t.app.get(SseHub);
    // Subscribers that stay: their topics are never forgotten.
    const kept = await Promise.all(['kept-a', 'kept-b'].map((topic) => stream(t, topic)));
    // Short-lived streams, 20 at a time, each on a topic of its own...
    for (let batch = 0; batch < 10; batch++) {
      const shortLived = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stream(t, `brief-${batch}-${i}`)),
      );
      shortLived.forEach((reader) => reader.close());
    }
    await until(() => hub.connectionCount === kept.length, 'the short-lived streams to end');
    // ...then what 32,000 of them do to the list, through the app's TopicStats, and publishes.
    for (let i = 0; i < 32_000; i++) {
      stats.subscribed(`anonymous-${i}`, 1);
      stats.subscribed(`anonymous-${i}`, -1);
    }
    for (let i = 0; i < 2000; i++) {
      await hub.publish(`published-${i}`, i);
    }
    expect(stats.size).toBeLessThanOrEqual(1000);

    const res = await fetch(`${t.url}/topics`);
    const body = await res.text();
    const list = JSON.parse(body) as { topics: { topic: string }[]; untracked: number };
    expect(list.topics.length).toBeLessThanOrEqual(1000);
    expect(body.length).toBeLessThan(1000 * MAX_SUMMARY_BYTES);
    expect(list.topics.map((x) => x.topic)).toEqual(expect.arrayContaining(['kept-a', 'kept-b']));
    expect(list.untracked).toBe(0);

    // Liveness stays fast while 20 clients ask for the list at once.
    const parallel = Array.from({ length: 20 }, () =>
      fetch(`${t.url}/topics`).then((r) => r.text()),
    );
    const started = performance.now();
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(500);
    expect((await Promise.all(parallel)).every((text) => text.length <= body.length + 1000)).toBe(
      true,
    );
  }, 60_000);

  it('counts topics it cannot track when every tracked one is in use, and still streams them', async () => {
    const t = await start({ RIPPLE_TOPICS_MAX_TRACKED: '3' });
    await Promise.all(['a', 'b', 'c'].map((topic) => stream(t, topic)));
    const extra = await stream(t, 'd');
    expect(extra.status).toBe(200);
    const list = (await (await fetch(`${t.url}/topics`)).json()) as {
      topics: { topic: string; subscribers: number }[];
      untracked: number;
    };
    expect(list.topics.map((x) => x.topic)).toEqual(['a', 'b', 'c']);
    expect(list.untracked).toBe(1);
    expect(t.app.get(TopicStats).size).toBe(3);
  });
});
