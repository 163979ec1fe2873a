import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, killOwnRedis, startOwnRedis } from './utils/own-redis.js';
import { describeWithRedis } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const describeRedis = await describeWithRedis();

/** The deadline the app is given, and what a request may take beyond it. */
const DEADLINE_MS = 1000;
const MARGIN_MS = 2000;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
  ms: number;
}

async function publish(url: string, data: unknown, key?: string): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify({ data }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text),
    headers: res.headers,
    ms: Date.now() - started,
  };
}

/** A stream's answer when it is refused (the body is JSON then), with how long it took. */
async function streamAnswer(url: string): Promise<Answer> {
  const started = Date.now();
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  const ms = Date.now() - started;
  let body: unknown;
  if (res.status === 200) {
    abort.abort();
  } else {
    body = JSON.parse(await res.text());
  }
  return { status: res.status, body, headers: res.headers, ms };
}

/**
 * Issue 13, item 6: a Redis that hangs (SIGSTOP: the connections stay open, nothing answers) held
 * publishes and new streams for as long as it hung, then answered 201. Every request now has the
 * command deadline; a publish retried with its Idempotency-Key is stored once.
 */
describeRedis('hardening: a hung Redis (e2e)', () => {
  let redis: ChildProcess | undefined;
  let port: number;
  let t: TestApp | undefined;
  let probe: Redis | undefined;
  const prefix = 'hang:';

  beforeAll(async () => {
    port = await freePort();
    redis = await startOwnRedis(port);
    t = await startApp({
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RIPPLE_REDIS_PREFIX: prefix,
      RIPPLE_REDIS_COMMAND_TIMEOUT_MS: String(DEADLINE_MS),
      RIPPLE_HEARTBEAT_MS: '200',
    });
    probe = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
  });
  afterAll(async () => {
    // Always, and only ours: resumed and killed by its PID, whatever the test left it in.
    await killOwnRedis(redis);
    probe?.disconnect();
    await t?.close();
  }, 30_000);

  it('answers 503 within the deadline while Redis hangs, then stores a retried publish once', async () => {
    const url = t!.url;
    const open = await SseReader.open(`${url}/events?topic=open`);
    await open.framesOf('retry', 1);
    expect((await publish(`${url}/events/open`, 'before')).status).toBe(201);
    await open.framesOf('open', 1);

    redis!.kill('SIGSTOP');
    try {
      const hung = await publish(`${url}/events/hung`, { n: 1 }, 'order-42');
      expect(hung.status).toBe(503);
      expect(hung.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(hung.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);

      // Readiness sees it too; a stream asked for after that must not wait for Redis either.
      await until(
        async () => (await fetch(`${url}/health/ready`)).status === 503,
        'readiness to go down',
        10_000,
      );
      for (const topic of ['fresh', 'open']) {
        // `fresh` waits for its SUBSCRIBE, `open` (already subscribed) for its history read.
        const refused = await streamAnswer(`${url}/events?topic=${topic}`);
        expect(refused.status).toBe(503);
        expect(refused.body).toMatchObject({ statusCode: 503 });
        expect(refused.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      }
      const again = await publish(`${url}/events/open`, 'during');
      expect(again.status).toBe(503);
      expect(again.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      // The stream that was open stays open.
      expect(open.ended).toBe(false);
    } finally {
      redis!.kill('SIGCONT');
    }

    // Redis ran what it had been sent before it stopped; the retry finds it, or stores it now:
    // either way one event, and every retry names the same id.
    const retried = await publish(`${url}/events/hung`, { n: 1 }, 'order-42');
    expect(retried.status).toBe(201);
    expect(retried.body).toEqual({ topic: 'hung', id: expect.stringMatching(/^\d+-\d+$/) });
    const replayed = await publish(`${url}/events/hung`, { n: 1 }, 'order-42');
    expect(replayed.status).toBe(201);
    expect(replayed.body).toEqual(retried.body);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await probe!.xlen(`${prefix}{hung}:log`)).toBe(1);
    const [[id, fields]] = await probe!.xrange(`${prefix}{hung}:log`, '-', '+');
    expect(id).toBe(retried.body.id);
    expect(fields[fields.indexOf('d') + 1]).toBe('{"n":1}');

    // The open stream catches up and goes on, once Redis answers.
    expect((await publish(`${url}/events/open`, 'after')).status).toBe(201);
    await open.waitFor(
      (r) => r.frames.some((f) => f.type === 'open' && f.data === '"after"'),
      10_000,
    );
    expect(open.ended).toBe(false);
    open.close();
  }, 60_000);
});
