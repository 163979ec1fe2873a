import { SseReader } from './utils/sse-reader.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { ADAPTERS, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

async function getJson(url: string): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe.each(ADAPTERS)('liveness and readiness on Terminus (e2e), on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers /health/live with 200 and a JSON body that no cache keeps', async () => {
    const live = await getJson(`${t.url}/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^application\/json/);
    expect(live.headers.get('cache-control')).toMatch(/no-store/);
    expect(live.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
  });

  it('answers /health/ready with the hub up and its open streams, and /health in its first shape', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=h`);
    try {
      await reader.framesOf('retry', 1);
      const ready = await getJson(`${t.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ok',
        info: { hub: { status: 'up', connections: 1 } },
        error: {},
        details: { hub: { status: 'up', connections: 1 } },
      });
      // The memory transport has no Redis to check.
      expect(ready.body.details.redis).toBeUndefined();
      expect(await getJson(`${t.url}/health`)).toMatchObject({
        status: 200,
        body: { status: 'ok', connections: 1 },
      });
    } finally {
      reader.close();
    }
  });
});

describe.each(ADAPTERS)('readiness during a drain (e2e), on %s', (adapter) => {
  it('goes 503 as shutdown begins, naming the hub, while open streams are still being ended', async () => {
    const t = await startApp({ RIPPLE_ADAPTER: adapter, RIPPLE_DRAIN_MS: '4000' });
    const reader = await SseReader.open(`${t.url}/events?topic=drain`);
    await reader.framesOf('retry', 1);
    const closed = t.close();
    try {
      let ready = await getJson(`${t.url}/health/ready`);
      await until(async () => {
        ready = await getJson(`${t.url}/health/ready`);
        return ready.status === 503;
      }, 'readiness to go down');
      // The stream has not been ended yet: readiness goes first.
      expect(reader.ended).toBe(false);
      expect(['error', 'shutting_down']).toContain(ready.body.status);
      expect(ready.body.error).toEqual({
        hub: { status: 'down', message: expect.stringMatching(/^Shutting down/) },
      });
      const summary = await getJson(`${t.url}/health`);
      expect(summary).toMatchObject({
        status: 503,
        body: { statusCode: 503, message: expect.stringMatching(/^Not ready: hub: Shutting down/) },
      });
    } finally {
      await closed;
      reader.close();
    }
  });
});

const describeRedis = await describeWithRedis();

describeRedis('readiness on the Redis transport (e2e)', () => {
  const prefix = testPrefix('health');
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      RIPPLE_REDIS_PREFIX: prefix,
    });
  });
  afterAll(async () => {
    await t.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('PINGs Redis through the instance’s own connection and says how long it took', async () => {
    const ready = await getJson(`${t.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.info).toEqual({
      hub: { status: 'up', connections: 0 },
      redis: { status: 'up', responseTime: expect.any(Number) },
    });
    expect(ready.body.info.redis.responseTime).toBeLessThan(500);
  });
});
