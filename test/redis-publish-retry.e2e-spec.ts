import { Redis } from 'ioredis';
import { redisKeys } from '../src/sse/redis/redis-keys.js';
import { LogCapture } from './utils/log-capture.js';
import { LossyProxy } from './utils/lossy-proxy.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';

const describeRedis = await describeWithRedis();

describeRedis('a publish whose answer is lost and that ioredis sends again (e2e)', () => {
  const prefix = testPrefix('retry');
  let proxy: LossyProxy;
  let t: TestApp;
  let admin: Redis;
  const logs = new LogCapture();

  beforeAll(async () => {
    proxy = await LossyProxy.start(TEST_REDIS_URL);
    t = await startApp(
      { RIPPLE_TRANSPORT: 'redis', REDIS_URL: proxy.url, RIPPLE_REDIS_PREFIX: prefix },
      { logger: logs },
    );
    admin = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
    await admin.quit();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('is stored and delivered once, and acknowledged with the id it was stored under', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=once`);
    await reader.framesOf('retry', 1);
    // The first publish loads the script; the next one runs it by its hash (EVALSHA).
    expect((await post(`${t.url}/events/once`, { data: 'first' })).status).toBe(201);
    await reader.framesOf('once', 1);

    // Redis runs the script (stores, publishes), its answer is lost with the connection, and
    // ioredis, reconnected, sends the same command again.
    const lost = proxy.loseNextAnswerTo('EVALSHA');
    const retried = await post(`${t.url}/events/once`, { data: 'retried' });
    await lost;
    expect(retried.status).toBe(201);
    expect((await post(`${t.url}/events/once`, { data: 'after' })).status).toBe(201);

    // A second copy would be published before "after": its publish answered first.
    const frames = await reader.framesOf('once', 3);
    expect(frames.map((f) => f.data)).toEqual(['"first"', '"retried"', '"after"']);
    const entries = await admin.xrange(redisKeys(prefix).log('once'), '-', '+');
    expect(entries.map(([, fields]) => fields[1])).toEqual(['"first"', '"retried"', '"after"']);
    expect(retried.body.id).toBe(entries[1][0]);
    expect(logs.matching(/command connection lost/)).toHaveLength(1);
    reader.close();
  });
});
