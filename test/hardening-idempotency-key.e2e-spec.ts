import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';

const describeRedis = await describeWithRedis();

interface Answer {
  status: number;
  body: any;
  replayed: string | null;
}

async function publish(url: string, body: unknown, key?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: JSON.parse(await res.text()),
    replayed: res.headers.get('idempotent-replayed'),
  };
}

/**
 * Issue 13, item 6: a publisher that retries a publish (it timed out, or the answer was lost) must
 * not store it twice. `Idempotency-Key` on `POST /events/:topic` stores it once per topic and key
 * within the window, and every retry gets the first answer. The same on every backend.
 */
const backends: [string, jest.Describe, () => Record<string, string>][] = [
  ['memory', describe, () => ({})],
  [
    'redis',
    describeRedis,
    () => ({ RIPPLE_TRANSPORT: 'redis', REDIS_URL: TEST_REDIS_URL, RIPPLE_REDIS_PREFIX: prefix }),
  ],
];
const prefix = testPrefix('idempotency');

for (const [name, describeOn, env] of backends) {
  describeOn(`hardening: Idempotency-Key on ${name} (e2e)`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp(env());
    });
    afterAll(async () => {
      await t.close();
      if (name === 'redis') {
        await dropPrefix(TEST_REDIS_URL, prefix);
      }
    });

    it('stores a publish once per key, and answers every retry with its id', async () => {
      const reader = await SseReader.open(`${t.url}/events?topic=orders`);
      await reader.framesOf('retry', 1);
      const first = await publish(`${t.url}/events/orders`, { data: { n: 1 } }, 'order-1');
      expect(first.status).toBe(201);
      expect(first.replayed).toBeNull();
      const retries = await Promise.all(
        Array.from({ length: 5 }, () =>
          publish(`${t.url}/events/orders`, { data: { n: 1 } }, 'order-1'),
        ),
      );
      for (const retry of retries) {
        expect(retry.status).toBe(201);
        expect(retry.body).toEqual(first.body);
        expect(retry.replayed).toBe('true');
      }
      // Another key is another event; so is the same key on another topic.
      const second = await publish(`${t.url}/events/orders`, { data: { n: 2 } }, 'order-2');
      expect(second.body.id).not.toBe(first.body.id);
      const elsewhere = await publish(`${t.url}/events/invoices`, { data: { n: 1 } }, 'order-1');
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.replayed).toBeNull();

      const frames = await reader.framesOf('orders', 2);
      // Nothing more arrives: a marker published after the retries comes next.
      await publish(`${t.url}/events/orders`, { data: 'marker', type: 'marker' });
      await reader.framesOf('marker', 1);
      expect(reader.frames.filter((f) => f.type === 'orders').map((f) => f.data)).toEqual([
        '{"n":1}',
        '{"n":2}',
      ]);
      expect(frames[0].data).toBe('{"n":1}');
      reader.close();
    });

    it('refuses another event under a key already used on the topic with a 422', async () => {
      const first = await publish(`${t.url}/events/payments`, { data: 'a' }, 'pay-1');
      expect(first.status).toBe(201);
      for (const body of [{ data: 'b' }, { data: 'a', type: 'other' }]) {
        const reused = await publish(`${t.url}/events/payments`, body, 'pay-1');
        expect(reused.status).toBe(422);
        expect(reused.body).toMatchObject({
          statusCode: 422,
          message: expect.stringContaining('Idempotency-Key'),
        });
      }
      expect((await publish(`${t.url}/events/payments`, { data: 'a' }, 'pay-1')).body).toEqual(
        first.body,
      );
    });

    it('answers a malformed key with a 400 and stores nothing', async () => {
      for (const key of ['', 'has space', 'x'.repeat(201), 'caf\u00e9']) {
        const bad = await publish(`${t.url}/events/bad-keys`, { data: 1 }, key);
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({
          statusCode: 400,
          message: expect.stringContaining('Idempotency-Key'),
        });
      }
      const ok = await publish(`${t.url}/events/bad-keys`, { data: 1 }, '~!{}'.repeat(50));
      expect(ok.status).toBe(201);
    });
  });
}
