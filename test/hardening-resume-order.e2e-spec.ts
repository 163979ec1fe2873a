import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const describeRedis = await describeWithRedis();

const msOf = (id: string) => Number(id.slice(0, id.indexOf('-')));

/**
 * Issue 13, item 10: a stream of topics a and b that saw a1, b1, a2 live and resumed after b2, a3
 * were published got a3 then b2 (history was replayed topic by topic). A resume now replays in the
 * order the live stream would have had: merged by id, across pages.
 */
function orderSuite(
  env: () => Record<string, string>,
  /** Redis orders topics by the millisecond of their ids only: publish each on a later one. */
  separateMs: boolean,
  cleanUp: () => Promise<void> = () => Promise.resolve(),
): void {
  let t: TestApp;
  const readers: SseReader[] = [];
  let lastId = '';

  const publish = async (topic: string, label: string): Promise<string> => {
    if (separateMs && lastId !== '') {
      const after = msOf(lastId);
      await until(() => Date.now() > after + 1, 'the clock to move on');
    }
    const res = await post(`${t.url}/events/${topic}`, { data: label });
    expect(res.status).toBe(201);
    lastId = (res.body as { id: string }).id;
    return lastId;
  };
  const open = async (query: string, cursor?: string) => {
    const reader = await SseReader.open(
      `${t.url}/events?${query}`,
      cursor === undefined ? {} : { 'last-event-id': cursor },
    );
    readers.push(reader);
    await reader.framesOf('retry', 1);
    return reader;
  };
  const labels = (reader: SseReader) =>
    reader.frames
      .filter((f) => f.type !== 'retry')
      .map((f) => `${f.type}:${JSON.parse(f.data) as string}`);

  beforeAll(async () => {
    t = await startApp({ RIPPLE_REPLAY_PAGE_SIZE: '2', ...env() });
  });
  afterEach(() => {
    readers.splice(0).forEach((reader) => reader.close());
  });
  afterAll(async () => {
    await t?.close();
    await cleanUp();
  });

  it('replays b2 then a3, as they were published, not topic by topic', async () => {
    const live = await open('topic=a&topic=b');
    await publish('a', 'a1');
    await publish('b', 'b1');
    await publish('a', 'a2');
    await live.framesOf('a', 2);
    await live.framesOf('b', 1);
    expect(labels(live)).toEqual(['a:a1', 'b:b1', 'a:a2']);
    const cursor = live.cursor;
    live.close();

    await publish('b', 'b2');
    const a3 = await publish('a', 'a3');
    const resumed = await open('topic=a&topic=b', cursor);
    await resumed.waitFor((r) => r.cursor.includes(`a=${a3}`), 5000, 'a3');
    expect(labels(resumed)).toEqual(['b:b2', 'a:a3']);
  });

  it('merges three topics across many pages in publish order, then goes live', async () => {
    const live = await open('topic=x&topic=y&topic=z');
    const cursor = live.cursor;
    live.close();
    const order = ['x', 'x', 'y', 'z', 'x', 'z', 'z', 'y', 'y', 'x', 'z', 'y', 'x', 'x', 'y'];
    const published: string[] = [];
    for (const [i, topic] of order.entries()) {
      await publish(topic, `${topic}${i}`);
      published.push(`${topic}:${topic}${i}`);
    }
    const resumed = await open('topic=x&topic=y&topic=z', cursor);
    await resumed.waitFor((r) => labels(r).length >= published.length, 5000, 'the replay');
    const after = await publish('y', 'live');
    await resumed.waitFor((r) => r.cursor.includes(`y=${after}`), 5000, 'the live event');
    expect(labels(resumed)).toEqual([...published, 'y:live']);
  });
}

describe('multi-topic resume order on the memory transport (e2e)', () => {
  // One id sequence across all topics of the process: publish order, even within a millisecond.
  orderSuite(() => ({}), false);
});

describeRedis('multi-topic resume order on the Redis transport (e2e)', () => {
  const prefix = testPrefix('order');
  orderSuite(
    () => ({ RIPPLE_TRANSPORT: 'redis', RIPPLE_REDIS_PREFIX: prefix }),
    true,
    () => dropPrefix(TEST_REDIS_URL, prefix),
  );
});
