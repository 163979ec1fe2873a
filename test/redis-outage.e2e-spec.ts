import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisConnections } from '../src/sse/redis/redis-connections.js';
import { SSE_BACKEND } from '../src/sse/index.js';
import type { RedisBackend } from '../src/sse/redis/index.js';
import { LogCapture } from './utils/log-capture.js';
import { SseReader } from './utils/sse-reader.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const describeRedis = await describeWithRedis();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * A Redis of this test's own, which it may kill and bring back on the same port, keeping what it
 * acknowledged in an append-only file in `dir` (see the first test).
 */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const where = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  const persistence = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'no'];
  const child = spawn('redis-server', [...where, ...persistence], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  await until(async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    }
  }, 'redis-server to answer');
  probe.disconnect();
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describeRedis('Redis goes away and comes back (e2e)', () => {
  let redisProcess: ChildProcess;
  let port: number;
  let dir: string;
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'ripple-outage-'));
    redisProcess = await startRedis(port, dir);
    t = await startApp(
      {
        RIPPLE_TRANSPORT: 'redis',
        REDIS_URL: `redis://127.0.0.1:${port}`,
        RIPPLE_HEARTBEAT_MS: '200',
      },
      { logger: logs },
    );
  });
  afterAll(async () => {
    await t.close();
    await stopRedis(redisProcess);
    rmSync(dir, { recursive: true, force: true });
  });

  // What Ripple promises is that an event it acknowledged (201) is in Redis's history, so a stream
  // that missed it live reads it from there once Redis is back. That needs a Redis that keeps what
  // it acknowledged across a SIGKILL, hence the append-only file: Redis writes it before it answers
  // (seen with strace), and what a killed process wrote stays with the kernel, so no fsync is
  // needed. Without one, the test raced Redis rather than Ripple: Redis sends its answer to the
  // publish script and the PUBLISH to the subscriber in two writes, the answer first, so a SIGKILL
  // between the two lost an event that the publisher had been told was stored, along with all of
  // Redis's memory. No code of Ripple's could send it then (the last event acknowledged before the
  // outage was missing, the stream still open: once in several full `npm test` runs under load,
  // every time once Redis's writes were slowed).
  it('loses nothing it acknowledged when Redis is killed mid-stream', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=acked`);
    await reader.framesOf('retry', 1);
    const acked: number[] = [];
    let refused = 0;
    let stop = false;
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await post(`${t.url}/events/acked`, { data: i });
        if (res.status === 201) {
          acked.push(i);
        } else {
          expect(res.status).toBe(503);
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    await until(() => acked.length >= 30, '30 acknowledged events', 10_000);
    await stopRedis(redisProcess);
    await until(() => refused >= 5, 'publishes refused during the outage');
    redisProcess = await startRedis(port, dir);
    const ackedBefore = acked.length;
    await until(() => acked.length >= ackedBefore + 30, '30 more after the restart', 10_000);
    stop = true;
    await publisher;
    const received = () =>
      new Set(reader.frames.filter((f) => f.type === 'acked').map((f) => Number(f.data)));
    const missing = () => acked.filter((i) => !received().has(i));
    await until(() => missing().length === 0, 'every acknowledged event', 5000).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}: ${JSON.stringify(missing())} missing of ${acked.length} acknowledged; ` +
            `the stream ${reader.ended ? 'ended' : 'is open'}; other frames: ` +
            JSON.stringify(reader.frames.filter((f) => f.type !== 'acked')),
        );
      },
    );
    const order = reader.frames.filter((f) => f.type === 'acked').map((f) => Number(f.data));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(new Set(order).size).toBe(order.length);
    reader.close();
    await until(async () => (await fetch(`${t.url}/health`)).status === 200, 'health', 10_000);
  });

  it('answers 503 while Redis is down, keeps open streams open, and recovers by itself', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=up`);
    await reader.framesOf('retry', 1);
    expect((await post(`${t.url}/events/up`, { data: 'before' })).status).toBe(201);
    await reader.framesOf('up', 1);

    await stopRedis(redisProcess);
    await until(async () => (await fetch(`${t.url}/health`)).status === 503, 'health to say 503');
    const health = await fetch(`${t.url}/health`);
    expect(await health.json()).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/Redis/),
    });
    // Readiness names Redis as what is down; liveness does not care (a restart would not help).
    const ready = await fetch(`${t.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'error',
      info: { hub: { status: 'up' } },
      error: { redis: { status: 'down', message: expect.stringMatching(/^Redis /) } },
    });
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);

    const refused = await post(`${t.url}/events/up`, { data: 'lost?' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ message: expect.stringMatching(/nothing was published/) });
    const newStream = await fetch(`${t.url}/events?topic=up`);
    expect(newStream.status).toBe(503);
    expect(newStream.headers.get('retry-after')).toBeTruthy();
    await newStream.body?.cancel();

    // The open stream stays open through the outage: heartbeats keep coming.
    const beats = reader.comments;
    await reader.waitFor((r) => r.comments >= beats + 3, 3000, 'heartbeats during the outage');
    expect(reader.ended).toBe(false);

    redisProcess = await startRedis(port, dir);
    await until(
      async () => (await fetch(`${t.url}/health`)).status === 200,
      'health to recover',
      10_000,
    );
    // Subscriptions are back: the open stream gets what is published now.
    await until(
      async () => (await post(`${t.url}/events/up`, { data: 'after' })).status === 201,
      'publishing to work again',
    );
    const got = await reader.framesOf('up', 2, 5000);
    expect(got.at(-1)?.data).toBe('"after"');
    expect(got.map((f) => f.data)).not.toContain('"lost?"');
    reader.close();

    // Hundreds of reconnection attempts, one line per connection per outage (two outages here).
    expect(logs.matching(/connection lost/)).toHaveLength(4);
    const readyAgain = await fetch(`${t.url}/health/ready`);
    expect(readyAgain.status).toBe(200);
    expect(await readyAgain.json()).toMatchObject({ info: { redis: { status: 'up' } } });
    expect(logs.matching(/connection restored/)).toHaveLength(4);
  });

  it('is not ready while Redis stalls: a PING that does not come back in time is a failure', async () => {
    const admin = new Redis(port, '127.0.0.1');
    try {
      // Every other client's commands wait (this test's own Redis: the shared one is left alone).
      await admin.client('PAUSE', 1500, 'ALL');
      const started = Date.now();
      const ready = await fetch(`${t.url}/health/ready`);
      expect(Date.now() - started).toBeLessThan(1200);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        error: { redis: { status: 'down', message: 'Redis did not answer PING within 500 ms' } },
      });
      await until(
        async () => (await fetch(`${t.url}/health/ready`)).status === 200,
        'readiness once Redis answers again',
      );
    } finally {
      await admin.quit();
    }
  });
});

describeRedis('an instance that loses its subscription catches up from history (e2e)', () => {
  const prefix = testPrefix('resub');
  const env = { RIPPLE_TRANSPORT: 'redis', REDIS_URL: TEST_REDIS_URL, RIPPLE_REDIS_PREFIX: prefix };
  let a: TestApp;
  let b: TestApp;
  let admin: Redis;

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
    admin = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await admin.quit();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it('delivers every event once, in order, across a dropped subscriber connection', async () => {
    const reader = await SseReader.open(`${a.url}/events?topic=gap`);
    await reader.framesOf('retry', 1);
    // Find A's subscriber connection on the server, by the local port of its socket.
    const connections = a.app.get<RedisBackend>(SSE_BACKEND).connections as RedisConnections;
    const localPort = (connections.subscriber as unknown as { stream: Socket }).stream.localPort;
    const clients = (await admin.client('LIST')) as string;
    const subscriberIds = clients
      .split('\n')
      .filter((line) => line.includes(`addr=127.0.0.1:${localPort} `))
      .map((line) => /id=(\d+)/.exec(line)?.[1]);
    expect(subscriberIds).toHaveLength(1);

    let n = 0;
    const publishing = (async () => {
      for (; n < 60; n++) {
        expect((await post(`${b.url}/events/gap`, { data: n })).status).toBe(201);
        if (n === 10) {
          await admin.client('KILL', 'ID', subscriberIds[0] as string);
        }
      }
    })();
    await publishing;
    const got = await reader.framesOf('gap', 60, 10_000);
    expect(got.map((f) => Number(f.data))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    reader.close();
  });
});
