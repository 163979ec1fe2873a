import { SseReader } from './utils/sse-reader.js';
import { startBuilt } from './utils/built-app.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { ADAPTERS } from './utils/test-app.js';

describe('the built service, as users run it (e2e)', () => {
  it.each(ADAPTERS)(
    'serves every route, and exits promptly on SIGTERM with clients connected, on %s',
    async (adapter) => {
      const app = await startBuilt({
        RIPPLE_ADAPTER: adapter,
        RIPPLE_PRODUCERS: 'clock,ticker,system',
      });
      try {
        const page = await fetch(`${app.url}/`);
        expect(page.status).toBe(200);
        expect(await page.text()).toMatch(/<html/i);
        expect((await fetch(`${app.url}/vendor/uplot/uPlot.esm.js`)).status).toBe(200);
        const client = await fetch(`${app.url}/client.js`);
        expect(client.headers.get('content-type')).toMatch(/javascript/);
        expect(await client.text()).toMatch(/export function subscribe/);
        expect(await (await fetch(`${app.url}/health`)).json()).toMatchObject({ status: 'ok' });
        const topics = (await (await fetch(`${app.url}/topics`)).json()) as {
          topics: { topic: string; producer: string | null }[];
        };
        expect(topics.topics.filter((x) => x.producer).map((x) => x.topic)).toEqual([
          'clock',
          'system',
          'ticker',
        ]);

        const readers = await Promise.all(
          ['clock', 'ticker', 'system'].map((topic) =>
            SseReader.open(`${app.url}/events?topic=${topic}`),
          ),
        );
        await Promise.all(
          readers.map((r, i) => r.framesOf(['clock', 'ticker', 'system'][i], 1, 5000)),
        );
        const asyncDemo = await SseReader.open(`${app.url}/async`);
        await asyncDemo.framesOf('message', 1);

        const started = Date.now();
        app.child.kill('SIGTERM');
        // Nest re-raises the signal once the app is closed, so the exit is by SIGTERM, after a
        // shutdown that ended every stream.
        expect([0, 'SIGTERM']).toContain(await app.exited);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(app.output()).toMatch(/ending 3 open stream\(s\)/);
        await Promise.all([...readers, asyncDemo].map((r) => r.waitForEnd(1000)));
      } finally {
        app.child.kill('SIGKILL');
      }
    },
  );

  it.each([
    [{ RIPPLE_HISTORY_SIZE: 'lots' }, /RIPPLE_HISTORY_SIZE/],
    [{ RIPPLE_PRODUCERS: 'clock,nope' }, /Unknown producer "nope"/],
    [{ RIPPLE_ADAPTER: 'koa' }, /RIPPLE_ADAPTER: express or fastify/],
  ])('refuses to start on %j, naming the problem', async (env, message) => {
    const started = startBuilt(env);
    // Should it start after all, it must not outlive the test.
    started.then((app) => app.child.kill('SIGKILL')).catch(() => undefined);
    await expect(started).rejects.toThrow(message);
  });
});

const describeRedis = await describeWithRedis();

describeRedis('two built instances on one Redis, as docs/operations.md runs them (e2e)', () => {
  it('serve one stream: subscribe on one, publish on the other, resume on either', async () => {
    const prefix = testPrefix('readme');
    const env = {
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      RIPPLE_REDIS_PREFIX: prefix,
    };
    const [a, b] = await Promise.all([
      startBuilt({ ...env, RIPPLE_INSTANCE_ID: 'a', RIPPLE_PRODUCERS: 'clock,system' }),
      startBuilt({ ...env, RIPPLE_INSTANCE_ID: 'b', RIPPLE_PRODUCERS: 'clock,system' }),
    ]);
    try {
      const reader = await SseReader.open(`${a.url}/events?topic=news&topic=system`);
      await reader.framesOf('retry', 1);
      const res = await fetch(`${b.url}/events/news`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'from b' }),
      });
      expect(res.status).toBe(201);
      expect((await reader.framesOf('news', 1))[0].data).toBe('"from b"');
      // Both instances report themselves on the system topic.
      await reader.waitFor(
        (r) =>
          new Set(
            r.frames.filter((f) => f.type === 'system').map((f) => JSON.parse(f.data).instance),
          ).size === 2,
        5000,
        'system figures of both instances',
      );
      const cursor = reader.cursor;
      reader.close();
      await fetch(`${a.url}/events/news`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'missed' }),
      });
      const again = await SseReader.open(`${b.url}/events?topic=news&topic=system`, {
        'last-event-id': cursor,
      });
      expect((await again.framesOf('news', 1))[0].data).toBe('"missed"');
      again.close();
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await dropPrefix(TEST_REDIS_URL, prefix);
    }
  });
});
