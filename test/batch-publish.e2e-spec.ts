import { signToken, TEST_SECRET } from './utils/auth.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { expectRefusal, post, startApp, type TestApp } from './utils/test-app.js';

const describeRedis = await describeWithRedis();
const prefix = testPrefix('batch');

/**
 * Issue 15: `POST /events` publishes several events, possibly to several topics, in one request,
 * all or nothing, and answers each one's id in order. The same on every backend.
 */
const backends: [string, jest.Describe, () => Record<string, string>][] = [
  ['memory', describe, () => ({})],
  [
    'redis',
    describeRedis,
    () => ({ RIPPLE_TRANSPORT: 'redis', REDIS_URL: TEST_REDIS_URL, RIPPLE_REDIS_PREFIX: prefix }),
  ],
];

for (const [name, describeOn, env] of backends) {
  describeOn(`POST /events, a batch, on ${name} (e2e)`, () => {
    let t: TestApp;
    const readers: SseReader[] = [];
    const open = async (topic: string) => {
      const reader = await SseReader.open(`${t.url}/events?topic=${topic}`);
      readers.push(reader);
      await reader.framesOf('retry', 1);
      return reader;
    };

    beforeAll(async () => {
      t = await startApp({
        ...env(),
        RIPPLE_MAX_PAYLOAD_BYTES: '1000',
        RIPPLE_MAX_BATCH_EVENTS: '5',
      });
    });
    afterEach(() => {
      readers.splice(0).forEach((reader) => reader.close());
    });
    afterAll(async () => {
      await t.close();
      if (name === 'redis') {
        await dropPrefix(TEST_REDIS_URL, prefix);
      }
    });

    it('delivers a batch to the subscribers of each topic in order, with the ids answered', async () => {
      const a = await open('batch-a');
      const b = await open('batch-b');
      const res = await post(`${t.url}/events`, {
        events: [
          { topic: 'batch-a', data: 1, type: 'ev' },
          { topic: 'batch-b', data: 'x', type: 'ev' },
          { topic: 'batch-a', data: { n: 2 }, type: 'ev' },
          { topic: 'batch-a', data: [3] },
        ],
      });
      expect(res.status).toBe(201);
      expect(res.body.events.map((e: { topic: string }) => e.topic)).toEqual([
        'batch-a',
        'batch-b',
        'batch-a',
        'batch-a',
      ]);
      const [a1, b1, a2, a3] = res.body.events as { id: string }[];
      expect(a1.id).toMatch(/^\d+-\d+$/);
      const ofA = await a.framesOf('ev', 2);
      expect(ofA.map((f) => [f.data, f.lastEventId])).toEqual([
        ['1', `batch-a=${a1.id}`],
        ['{"n":2}', `batch-a=${a2.id}`],
      ]);
      // Untyped: the topic's name is its type.
      const [last] = await a.framesOf('batch-a', 1);
      expect([last.data, last.lastEventId]).toEqual(['[3]', `batch-a=${a3.id}`]);
      const ofB = await b.framesOf('ev', 1);
      expect(ofB.map((f) => [f.data, f.lastEventId])).toEqual([['"x"', `batch-b=${b1.id}`]]);
    });

    it('answers single and batch publishes as JSON, in one piece, with no ETag', async () => {
      for (const [path, body] of [
        ['/events/plain', { data: 1 }],
        ['/events', { events: [{ topic: 'plain', data: 1 }] }],
      ] as const) {
        const res = await fetch(`${t.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(201);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(res.headers.get('etag')).toBeNull();
        const text = await res.text();
        expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
        expect(JSON.parse(text)).toMatchObject(
          path === '/events' ? { events: [{ topic: 'plain' }] } : { topic: 'plain' },
        );
      }
    });

    it.each([
      ['a bad topic name', { topic: 'a b', data: 1 }, 400, /events\[1\]: Invalid topic name/],
      ['a reserved type', { topic: 'ok', data: 1, type: 'ripple.x' }, 400, /events\[1\]: .*type/],
      ['a payload over the limit', { topic: 'ok', data: 'x'.repeat(2000) }, 413, /events\[1\]: /],
      ['no data', { topic: 'ok' }, 400, /events\[1\]: no "data"/],
      ['no topic', { data: 1 }, 400, /events\[1\]: no "topic"/],
      ['an unknown field', { topic: 'ok', data: 1, extra: true }, 400, /events\[1\]: unknown/],
      ['not an object', 42, 400, /events\[1\]: not a JSON object/],
    ])('refuses a batch with %s, and publishes none of it', async (_what, bad, status, words) => {
      const reader = await open('batch-all');
      expectRefusal(
        await post(`${t.url}/events`, {
          events: [{ topic: 'batch-all', data: 'before', type: 'ev' }, bad],
        }),
        status,
        words,
      );
      // What comes next is the first event the topic gets: nothing of the refused batch.
      const res = await post(`${t.url}/events`, {
        events: [{ topic: 'batch-all', data: 'after', type: 'ev' }],
      });
      expect(res.status).toBe(201);
      const [first] = await reader.framesOf('ev', 1);
      expect(first.data).toBe('"after"');
    });

    it('refuses too many events, a body that is no batch, and an Idempotency-Key', async () => {
      const events = Array.from({ length: 6 }, (_, i) => ({ topic: 'many', data: i }));
      expectRefusal(
        await post(`${t.url}/events`, { events }),
        413,
        /6 events, more than the limit of 5/,
      );
      for (const body of [{}, { events: [] }, { events: {} }, [], { events: [], more: 1 }]) {
        expectRefusal(await post(`${t.url}/events`, body), 400, /"events"/);
      }
      expectRefusal(await post(`${t.url}/events`, 'not json'), 400, /not valid JSON|JSON/);
      expectRefusal(
        await post(
          `${t.url}/events`,
          { events: [{ topic: 'k', data: 1 }] },
          {
            'content-type': 'application/json',
            'idempotency-key': 'k1',
          },
        ),
        400,
        /Idempotency-Key is not supported on a batch/,
      );
    });
  });
}

describe('POST /events, a batch, with a token key (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      RIPPLE_JWT_SECRET: TEST_SECRET,
      RIPPLE_PRIVATE_TOPICS: 'private.*',
      RIPPLE_MAX_BATCH_BYTES: '2000',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const postAs = async (token: string | undefined, body: unknown) =>
    post(`${t.url}/events`, body, {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    });

  it('needs a publish grant for every topic of the batch, and names none in its 403', async () => {
    const token = await signToken({ publish: ['public.*'] });
    const events = [
      { topic: 'public.a', data: 1 },
      { topic: 'private.secret-name', data: 2 },
    ];
    const refused = await postAs(token, { events });
    expectRefusal(refused, 403, /every topic of the batch/);
    expect(refused.body.message).not.toMatch(/private/);
    expectRefusal(await postAs(undefined, { events }), 401, /token/i);
    const granted = await postAs(await signToken({ publish: ['public.*', 'private.*'] }), {
      events,
    });
    expect(granted.status).toBe(201);
    expect(granted.body.events).toHaveLength(2);
    expect((await postAs(token, { events: [events[0]] })).status).toBe(201);
  });

  it('refuses a body over the batch limit with a 413', async () => {
    const token = await signToken({ publish: ['*'] });
    const events = Array.from({ length: 3 }, () => ({ topic: 'big', data: 'x'.repeat(900) }));
    expectRefusal(await postAs(token, { events }), 413, /larger than the limit of 2000 bytes/);
  });
});
