import { Redis } from 'ioredis';
import { ConnectionLimiter } from '../src/sse/flow/connection-limiter.service.js';
import { SseHub } from '../src/sse/index.js';
import { TRANSPORT } from '../src/sse/transport/transport.interface.js';
import { getRequest, randomInt, rawClient, reset } from './utils/raw-http.js';
import { describeWithRedis, dropPrefix, testPrefix, TEST_REDIS_URL } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

/** Issue 13, item 1: a client that hangs up at any point leaves no stream, slot or subscription. */

interface Subscribed {
  readonly subscribedTopics: string[];
}

/** 100 sockets that ask for a stream and destroy themselves after 0–40 ms, three times. */
async function ghostRounds(url: string, path: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const client = rawClient(url, getRequest(url, path));
        setTimeout(() => client.socket.destroy(), randomInt(0, 40));
        await client.closed;
      }),
    );
  }
}

/** Aborts after the headers came, with a FIN or a RST, and mid-stream while events flow. */
async function abortAfterHeaders(t: TestApp, topic: string): Promise<void> {
  const path = `/events?topic=${topic}`;
  await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const client = rawClient(t.url, getRequest(t.url, path));
      await until(() => client.received().includes('retry:'), 'the stream to open', 10_000);
      if (i % 2 === 0) {
        reset(client.socket);
      } else {
        client.socket.end();
      }
      await client.closed;
    }),
  );
  // Mid-stream: events are being written when the clients reset.
  const clients = Array.from({ length: 30 }, () => rawClient(t.url, getRequest(t.url, path)));
  await until(
    () => clients.every((c) => c.received().includes('retry:')),
    'the streams to open',
    10_000,
  );
  let publishing = true;
  const publisher = (async () => {
    for (let i = 0; publishing; i++) {
      await post(`${t.url}/events/${topic}`, { data: 'x'.repeat(2000) + i });
    }
  })();
  await until(() => clients.every((c) => c.received().includes('x'.repeat(100))), 'events', 10_000);
  await Promise.all(
    clients.map(async (client) => {
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 30)));
      reset(client.socket);
      await client.closed;
    }),
  );
  publishing = false;
  await publisher;
}

async function expectBackToBaseline(
  t: TestApp,
  topic: string,
  redisSubscribers?: () => Promise<number>,
): Promise<void> {
  const hub = t.app.get(SseHub);
  const transport = t.app.get<Subscribed>(TRANSPORT);
  await until(() => hub.connectionCount === 0, 'no open stream (ghosts remain)', 10_000).catch(
    (err: Error) => {
      throw new Error(`${err.message}: ${hub.connectionCount} streams open`);
    },
  );
  const limiter = t.app.get(ConnectionLimiter);
  await until(() => limiter.open === 0, 'every connection slot to be free', 10_000);
  await until(
    () => !transport.subscribedTopics.includes(topic),
    `the transport to release topic ${topic}`,
    10_000,
  );
  if (redisSubscribers) {
    let count = -1;
    await until(
      async () => (count = await redisSubscribers()) === 0,
      'Redis to hold no subscription of the channel',
      10_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${count} left`);
    });
  }
  // A new stream is taken: no slot is held by a ghost.
  const reader = await SseReader.open(`${t.url}/events?topic=${topic}`);
  try {
    expect(reader.status).toBe(200);
    await reader.framesOf('retry', 1);
  } finally {
    reader.close();
  }
  await until(() => hub.connectionCount === 0, 'the last stream to close', 10_000);
}

describe('ghost streams: clients that hang up at any point (e2e, memory)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_MAX_CONNECTIONS: '50' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves no stream, slot or subscription behind clients that hang up during the handshake', async () => {
    await ghostRounds(t.url, '/events?topic=ghost');
    await expectBackToBaseline(t, 'ghost');
  }, 60_000);

  it('leaves nothing behind clients that hang up after the headers or mid-stream', async () => {
    await abortAfterHeaders(t, 'after');
    await expectBackToBaseline(t, 'after');
  }, 60_000);
});

const describeRedis = await describeWithRedis();

describeRedis('ghost streams: clients that hang up at any point (e2e, Redis)', () => {
  const prefix = testPrefix('ghost');
  let t: TestApp;
  let redis: Redis;

  /** Subscribers of the topic's channel in Redis, classic or sharded. */
  const subscribers = (topic: string) => async (): Promise<number> => {
    const channel = `${prefix}{${topic}}:live`;
    const [, classic] = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
    const [, sharded] = (await redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
    return Number(classic) + Number(sharded);
  };

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    t = await startApp({
      RIPPLE_MAX_CONNECTIONS: '50',
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      RIPPLE_REDIS_PREFIX: prefix,
    });
  });
  afterAll(async () => {
    await t.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
    await redis.quit();
  });

  it('leaves no stream, slot or Redis subscription behind clients that hang up during the handshake', async () => {
    await ghostRounds(t.url, '/events?topic=ghost');
    await expectBackToBaseline(t, 'ghost', subscribers('ghost'));
  }, 60_000);

  it('leaves nothing behind clients that hang up after the headers or mid-stream', async () => {
    await abortAfterHeaders(t, 'after');
    await expectBackToBaseline(t, 'after', subscribers('after'));
  }, 60_000);
});
