import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Redis } from 'ioredis';
import { ConnectionLimiter } from '../src/sse/flow/connection-limiter.service.js';
import { SseHub } from '../src/sse/index.js';
import { TRANSPORT } from '../src/sse/transport/transport.interface.js';
import {
  getRequest,
  randomInt,
  rawClient,
  reset,
  responseHeads,
  type RawClient,
} from './utils/raw-http.js';
import { describeWithRedis, dropPrefix, testPrefix, TEST_REDIS_URL } from './utils/redis.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

/**
 * Issue 13, Tests: thousands of connections of mixed kinds against one app, then the invariants:
 * no ghost stream, no slot held, subscriptions (in the transport and in Redis) back to their
 * baseline, the heap back near its baseline, and the process answering.
 */

const TOPICS = ['chaos-a', 'chaos-b', 'hist'];
/** How long one client may take before it is cut and counted as a failure of its kind. */
const CLIENT_TIMEOUT_MS = 15_000;

interface Outcome {
  kind: string;
  /** What went wrong, for the kinds whose answer is deterministic. */
  failure?: string;
}

type Kind = (url: string, cursor: string) => Promise<Outcome>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds on what the client received, or with false on close or timeout. */
function receivedUntil(client: RawClient, check: (raw: string) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.socket.off('data', onData);
      resolve(ok);
    };
    const onData = () => {
      if (check(client.received())) {
        done(true);
      }
    };
    const timer = setTimeout(() => done(false), CLIENT_TIMEOUT_MS);
    client.socket.on('data', onData);
    void client.closed.then(() => done(check(client.received())));
    onData();
  });
}

const streamPath = () => `/events?topic=${TOPICS[randomInt(0, 1)]}&topic=hist`;
const opened = (raw: string) => raw.includes('retry:');

const KINDS: Record<string, Kind> = {
  /** Sends the request and hangs up within 0–40 ms: in middleware, guards, or just after. */
  async abortHandshake(url) {
    const client = rawClient(url, getRequest(url, streamPath()));
    await sleep(randomInt(0, 40));
    client.socket.destroy();
    await client.closed;
    return { kind: 'abortHandshake' };
  },
  /** Hangs up in the middle of its request head. */
  async abortInHead(url) {
    const request = getRequest(url, streamPath());
    const client = rawClient(url, request.slice(0, randomInt(1, request.length - 1)));
    await sleep(randomInt(0, 20));
    reset(client.socket);
    await client.closed;
    return { kind: 'abortInHead' };
  },
  /** Resets the connection while events flow. */
  async rstMidStream(url) {
    const client = rawClient(url, getRequest(url, streamPath()));
    const ok = await receivedUntil(client, opened);
    await sleep(randomInt(0, 200));
    reset(client.socket);
    await client.closed;
    return { kind: 'rstMidStream', failure: ok ? undefined : 'never opened' };
  },
  /** A stream with another stream pipelined behind it, which waits; then hangs up. */
  async pipelinedStreams(url) {
    const client = rawClient(url, getRequest(url, streamPath()) + getRequest(url, streamPath()));
    const ok = await receivedUntil(client, opened);
    await sleep(randomInt(0, 100));
    client.socket.destroy();
    await client.closed;
    return { kind: 'pipelinedStreams', failure: ok ? undefined : 'never opened' };
  },
  /** A health check, then a stream, pipelined. */
  async pipelinedAfterHealth(url) {
    const client = rawClient(url, getRequest(url, '/health/live') + getRequest(url, streamPath()));
    const ok = await receivedUntil(client, opened);
    client.socket.end();
    await client.closed;
    const statuses = responseHeads(client.received()).map((head) => head.status);
    const good = ok && statuses[0] === 200 && statuses[1] === 200;
    return {
      kind: 'pipelinedAfterHealth',
      failure: good ? undefined : `got ${statuses.join(', ')}`,
    };
  },
  /** HEAD, with a health check pipelined behind it that must be answered. */
  async head(url) {
    const client = rawClient(
      url,
      getRequest(url, streamPath(), { method: 'HEAD' }) + getRequest(url, '/health/live'),
    );
    const ok = await receivedUntil(client, (raw) => responseHeads(raw).length >= 2);
    client.socket.destroy();
    await client.closed;
    const statuses = responseHeads(client.received()).map((head) => head.status);
    const good = ok && statuses[0] === 200 && statuses[1] === 200;
    return { kind: 'head', failure: good ? undefined : `got ${statuses.join(', ')}` };
  },
  /** An HTTP/1.0 client that reads a little and leaves. */
  async http10(url) {
    const client = rawClient(url, getRequest(url, streamPath(), { version: '1.0' }));
    const ok = await receivedUntil(client, opened);
    const close = responseHeads(client.received())[0]?.headers.connection === 'close';
    await sleep(randomInt(0, 100));
    client.socket.destroy();
    await client.closed;
    return {
      kind: 'http10',
      failure: ok && close ? undefined : 'no stream with Connection: close',
    };
  },
  /** Asks to close the connection after the stream, reads a little and leaves. */
  async connectionClose(url) {
    const client = rawClient(
      url,
      getRequest(url, streamPath(), { headers: { Connection: 'close' } }),
    );
    const ok = await receivedUntil(client, opened);
    const close = responseHeads(client.received())[0]?.headers.connection === 'close';
    await sleep(randomInt(0, 100));
    client.socket.destroy();
    await client.closed;
    return {
      kind: 'connectionClose',
      failure: ok && close ? undefined : 'no stream with Connection: close',
    };
  },
  /** Resumes from the start of a topic's history and never reads a byte, then leaves. */
  async resumerNeverReads(url, cursor) {
    const client = rawClient(url);
    client.socket.pause();
    client.socket.write(
      getRequest(url, '/events?topic=hist', { headers: { 'Last-Event-ID': cursor } }),
    );
    await sleep(randomInt(100, 1000));
    client.socket.destroy();
    await client.closed;
    return { kind: 'resumerNeverReads' };
  },
  /** A reader that gets its stream and closes it cleanly. */
  async reader(url) {
    const client = rawClient(url, getRequest(url, streamPath()));
    const ok = await receivedUntil(client, opened);
    await sleep(randomInt(0, 300));
    client.socket.end();
    await client.closed;
    return { kind: 'reader', failure: ok ? undefined : 'never opened' };
  },
  /** Bad input: a 400, on a connection it then leaves. */
  async badTopic(url) {
    const client = rawClient(url, getRequest(url, '/events?topic=bad%20name'));
    const ok = await receivedUntil(client, (raw) => responseHeads(raw).length >= 1);
    client.socket.destroy();
    await client.closed;
    const status = responseHeads(client.received())[0]?.status;
    return { kind: 'badTopic', failure: ok && status === 400 ? undefined : `got ${status}` };
  },
};

/** Runs `total` clients of random kinds, at most `concurrency` at a time, each bounded in time. */
async function chaos(url: string, cursor: string, total: number, concurrency: number) {
  const kinds = Object.values(KINDS);
  const outcomes: Outcome[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      const kind = kinds[randomInt(0, kinds.length - 1)];
      outcomes.push(await kind(url, cursor));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

/** Publishes to the live topics until stopped, so that streams are written to when they end. */
function publisher(url: string): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      await post(`${url}/events/${TOPICS[i % 2]}`, { data: { i, pad: 'p'.repeat(500) } });
      await sleep(5);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The cursor of the first of `count` events of `size` bytes put in the history of `hist`. */
async function seedHistory(url: string, count: number, size: number): Promise<string> {
  let first = '';
  for (let i = 0; i < count; i++) {
    const res = await post(`${url}/events/hist`, { data: 'h'.repeat(size) });
    expect(res.status).toBe(201);
    first ||= (res.body as { id: string }).id;
  }
  return `hist=${first}`;
}

/** `global.gc`, without --expose-gc on the command line; undefined where V8 refuses. */
function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

async function expectInvariants(t: TestApp, redisSubscribers?: () => Promise<number>) {
  const hub = t.app.get(SseHub);
  const limiter = t.app.get(ConnectionLimiter);
  const transport = t.app.get<{ subscribedTopics: string[] }>(TRANSPORT);
  await until(() => hub.connectionCount === 0, 'no open stream', 20_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${hub.connectionCount} ghost streams`);
  });
  await until(() => limiter.open === 0, 'every slot free', 20_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${limiter.open} slots held`);
  });
  await until(
    () => transport.subscribedTopics.length === 0,
    'the transport to hold no subscription',
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${transport.subscribedTopics.join(', ')}`);
  });
  if (redisSubscribers) {
    let left = -1;
    await until(
      async () => (left = await redisSubscribers()) === 0,
      'Redis to hold no subscription',
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${left} left`);
    });
  }
  // Alive and answering.
  expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
  expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
}

function failuresOf(outcomes: Outcome[]): string[] {
  return outcomes.filter((o) => o.failure).map((o) => `${o.kind}: ${o.failure}`);
}

describe('chaos: thousands of clients of mixed kinds (e2e, memory)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_HEARTBEAT_MS: '500' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves no ghost, slot, subscription or heap behind, and answers after', async () => {
    // Modest history: 300 x 2 KiB, replayed whole by each resumer that never reads.
    const cursor = await seedHistory(t.url, 300, 2048);
    const gc = gcFunction();
    // A first round warms up what is allocated once (code, pools), so the baseline holds it.
    await chaos(t.url, cursor, 200, 50);
    await expectInvariants(t);
    const heapBefore = gc ? await settledHeap(gc) : 0;

    const pub = publisher(t.url);
    const started = Date.now();
    const outcomes = await chaos(t.url, cursor, 2000, 100);
    await pub.stop();
    const took = Date.now() - started;

    expect(outcomes).toHaveLength(2000);
    expect(took).toBeLessThan(60_000);
    expect(failuresOf(outcomes)).toEqual([]);
    await expectInvariants(t);
    if (gc) {
      const grown = (await settledHeap(gc)) - heapBefore;
      // Ghost streams would hold their connections, sockets and subscriptions.
      expect(grown).toBeLessThan(32 * 1024 * 1024);
    }
  }, 120_000);
});

const describeRedis = await describeWithRedis();

describeRedis('chaos: hundreds of clients of mixed kinds (e2e, Redis)', () => {
  const prefix = testPrefix('chaos');
  let t: TestApp;
  let redis: Redis;

  /** Subscribers in Redis of every channel of this test's prefix, classic or sharded. */
  const subscribers = async (): Promise<number> => {
    const channels = TOPICS.map((topic) => `${prefix}{${topic}}:live`);
    const classic = (await redis.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
    const sharded = (await redis.call('PUBSUB', 'SHARDNUMSUB', ...channels)) as (string | number)[];
    const listed = (await redis.call('PUBSUB', 'CHANNELS', `${prefix}*`)) as string[];
    const sum = (counts: (string | number)[]) =>
      counts.filter((_, i) => i % 2 === 1).reduce<number>((a, b) => a + Number(b), 0);
    return sum(classic) + sum(sharded) + listed.length;
  };

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    t = await startApp({
      RIPPLE_HEARTBEAT_MS: '500',
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

  it('leaves no ghost, slot or Redis subscription behind, and answers after', async () => {
    const cursor = await seedHistory(t.url, 100, 2048);
    const pub = publisher(t.url);
    const outcomes = await chaos(t.url, cursor, 500, 50);
    await pub.stop();
    expect(outcomes).toHaveLength(500);
    expect(failuresOf(outcomes)).toEqual([]);
    await expectInvariants(t, subscribers);
  }, 120_000);
});
