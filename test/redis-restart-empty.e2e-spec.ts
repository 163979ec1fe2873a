import type { ChildProcess } from 'node:child_process';
import { freePort, killOwnRedis, startOwnRedis } from './utils/own-redis.js';
import { describeWithRedis } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';

const describeRedis = await describeWithRedis();

/**
 * A Redis that keeps nothing on disk comes back empty after a restart, and its stream ids go on
 * from its clock: a cursor from before the restart then looks like a position in the new history,
 * older than everything in it. Read after it, it would give the new events as if nothing had been
 * missed, and the events published between the cursor and the restart would be lost without a
 * word. A client must be told to reload (ripple.reset) instead.
 */
describeRedis('a Redis that restarts empty (e2e)', () => {
  let redis: ChildProcess | undefined;
  let port: number;
  let t: TestApp;

  beforeAll(async () => {
    port = await freePort();
    redis = await startOwnRedis(port);
    t = await startApp({ RIPPLE_TRANSPORT: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await t?.close();
    await killOwnRedis(redis);
  });

  /** Publishes, retrying while the app waits for Redis to come back; the event's id. */
  async function publish(topic: string, data: unknown): Promise<string> {
    let answer = await post(`${t.url}/events/${topic}`, { data });
    const deadline = Date.now() + 10_000;
    while (answer.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await post(`${t.url}/events/${topic}`, { data });
    }
    expect(answer.status).toBe(201);
    return (answer.body as { id: string }).id;
  }

  it('tells a client whose cursor predates the restart to reload, and never resumes it silently', async () => {
    const seen = await publish('lost', 'seen');
    await publish('lost', 'missed');
    await killOwnRedis(redis);
    redis = await startOwnRedis(port);
    await publish('lost', 'after');
    // An empty topic's cursor is issued before its first event: resuming from it misses nothing.
    const empty = await SseReader.open(`${t.url}/events?topic=fresh`);
    await empty.framesOf('retry', 1);
    empty.close();
    await publish('fresh', 'first');

    const resumed = await SseReader.open(`${t.url}/events?topic=lost`, {
      'last-event-id': `lost=${seen}`,
    });
    const [reset] = await resumed.framesOf('ripple.reset', 1);
    expect(JSON.parse(reset.data)).toEqual({ reason: 'trimmed', topics: ['lost'] });
    expect(resumed.frames.filter((f) => f.type === 'lost')).toEqual([]);
    await publish('lost', 'live');
    expect((await resumed.framesOf('lost', 1))[0].data).toBe('"live"');
    resumed.close();

    const fresh = await SseReader.open(`${t.url}/events?topic=fresh`, {
      'last-event-id': empty.cursor!,
    });
    expect((await fresh.framesOf('fresh', 1))[0].data).toBe('"first"');
    expect(fresh.frames.some((f) => f.type === 'ripple.reset')).toBe(false);
    fresh.close();
  });
});
