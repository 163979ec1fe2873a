import {
  subscribe,
  type ClientState,
  type RippleEvent,
  type Subscription,
} from '../src/client/index.js';
import { SseHub } from '../src/sse/index.js';
import { PageServer } from './browser/page-server.js';
import { signToken, TEST_SECRET } from './utils/auth.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

type Topics = { a: { n: number }; b: { n: number }; c: { n: number } };

/** A subscription that records what it saw, for the tests to wait on. */
function recorded(options: Omit<Parameters<typeof subscribe<Topics>>[0], 'onEvent' | 'onState'>) {
  const events: RippleEvent<Topics>[] = [];
  const states: ClientState[] = [];
  const sub: Subscription<Topics> = subscribe<Topics>({
    minDelayMs: 50,
    maxDelayMs: 200,
    ...options,
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s),
  });
  const seen = (topic: keyof Topics) =>
    events.filter((e) => e.topic === topic).map((e) => e.data.n);
  return { sub, events, states, seen };
}

const publish = (hub: SseHub, topic: string, n: number, type?: string) =>
  hub.publish(topic, { n }, { type });

describe('the client against a real Ripple (memory)', () => {
  let t: TestApp;
  let hub: SseHub;
  const subs: Subscription<Topics>[] = [];

  beforeAll(async () => {
    t = await startApp({ RIPPLE_HISTORY_SIZE: '20', RIPPLE_RETRY_MS: '100' });
    hub = t.app.get(SseHub);
  });
  afterEach(() => subs.splice(0).forEach((s) => s.close()));
  afterAll(() => t.close());

  it('opens with the last N events of a topic, then live (history on open)', async () => {
    for (let n = 1; n <= 6; n++) {
      await publish(hub, 'a', n);
    }
    const r = recorded({ url: `${t.url}/events`, topics: ['a'], history: { last: 3 } });
    subs.push(r.sub);
    await until(() => r.seen('a').length === 3, 'the last three events');
    await publish(hub, 'a', 7);
    await until(() => r.seen('a').length === 4, 'the live one');
    expect(r.seen('a')).toEqual([4, 5, 6, 7]);
    expect(r.states.map((s) => s.state).slice(0, 2)).toEqual(['connecting', 'open']);
  });

  it('gives per-topic handlers their payload and per-type handlers their events', async () => {
    const onA: number[] = [];
    const alarms: string[] = [];
    const sub = subscribe<Topics>({
      url: `${t.url}/events`,
      topics: ['a', 'b'],
      on: { a: (data) => onA.push(data.n) },
      onType: { alarm: (e) => alarms.push(`${e.topic}:${e.data.n}`) },
    });
    subs.push(sub);
    await until(() => sub.state === 'open', 'open');
    await publish(hub, 'b', 1, 'alarm');
    await publish(hub, 'a', 2);
    await until(() => onA.length === 1 && alarms.length === 1, 'both handlers');
    expect(onA).toEqual([2]);
    expect(alarms).toEqual(['b:1']);
  });

  it('keeps the stream open when an app handler throws, and reports it', async () => {
    const onA: number[] = [];
    const errors: string[] = [];
    const r = recorded({
      url: `${t.url}/events`,
      topics: ['a'],
      on: {
        a: (data) => {
          if (data.n === 1) {
            throw new Error('handler bug');
          }
          onA.push(data.n);
        },
      },
      onError: (err, event) => errors.push(`${(err as Error).message} at ${event?.data.n}`),
    });
    subs.push(r.sub);
    await until(() => r.sub.state === 'open', 'open');
    await publish(hub, 'a', 1);
    await publish(hub, 'a', 2);
    await until(() => onA.length === 1, 'the event after the one that threw');
    expect(onA).toEqual([2]);
    // The other handlers still got the event that threw, once, and the stream never reconnected.
    expect(r.seen('a')).toEqual([1, 2]);
    expect(errors).toEqual(['handler bug at 1']);
    expect(r.states.map((s) => s.state)).toEqual(['connecting', 'open']);
  });

  it('refuses a history that is not a count, with a 400 naming it', async () => {
    const res = await fetch(`${t.url}/events?topic=a&last=-1`);
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/last must be a count/);
    const since = await fetch(`${t.url}/events?topic=a&since=yesterday`);
    expect(since.status).toBe(400);
  });

  it('resumes a topic with a cursor rather than its history, on the wire', async () => {
    const a1 = await publish(hub, 'a', 100);
    await publish(hub, 'a', 101);
    const reader = await SseReader.open(`${t.url}/events?topic=a&last=10&lastEventId=a=${a1.id}`);
    const [only] = await reader.framesOf('a', 1);
    expect(JSON.parse(only.data)).toEqual({ n: 101 });
    reader.close();
  });

  it('calls onReset with the reason and topics, and goes on live', async () => {
    const resets: string[] = [];
    const future = `${Date.now() + 3_600_000}-0`;
    const sub = subscribe<Topics>({
      url: `${t.url}/events`,
      topics: ['a'],
      cursor: `a=${future}`,
      onReset: (reason, topics) => resets.push(`${reason}:${topics.join(',')}`),
    });
    subs.push(sub);
    await until(() => resets.length === 1, 'the reset');
    expect(resets).toEqual(['unknown-position:a']);
  });

  it('changes its topics, keeping the cursor of those it keeps', async () => {
    const r = recorded({ url: `${t.url}/events`, topics: ['a', 'b'] });
    subs.push(r.sub);
    await until(() => r.sub.state === 'open', 'open');
    await publish(hub, 'b', 1);
    await until(() => r.seen('b').length === 1, 'b1');
    r.sub.setTopics(['b', 'c']);
    // Published while the new connection opens: b resumes from its cursor, so nothing is lost.
    await publish(hub, 'b', 2);
    await until(() => r.seen('b').length === 2, 'b2, replayed or live');
    await until(() => r.sub.state === 'open' && r.sub.cursor?.includes('c=') === true, 'c joined');
    await publish(hub, 'c', 1);
    await publish(hub, 'a', 9);
    await until(() => r.seen('c').length === 1, 'c1');
    expect(r.seen('b')).toEqual([1, 2]);
    expect(r.seen('a')).toEqual([]);
    expect(r.sub.cursor).toMatch(/^b=[\d-]+,c=[\d-]+$/);
  });
});

describe('the client and a full instance (503 with Retry-After)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_MAX_CONNECTIONS: '1' });
  });
  afterAll(() => t.close());

  it('waits as Retry-After says, then opens once there is room', async () => {
    const holder = await SseReader.open(`${t.url}/events?topic=a`);
    expect(holder.status).toBe(200);
    const r = recorded({ url: `${t.url}/events`, topics: ['a'] });
    await until(() => r.states.some((s) => s.state === 'reconnecting'), 'a refusal');
    const refused = r.states.find((s) => s.state === 'reconnecting');
    expect(refused).toMatchObject({ state: 'reconnecting', attempt: 1, status: 503 });
    // Retry-After (in seconds) rather than the client's own 50-200 ms backoff.
    expect((refused as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(1000);
    holder.close();
    await until(() => r.sub.state === 'open', 'open after the wait', 15_000);
    await t.app.get(SseHub).publish('a', { n: 1 });
    await until(() => r.seen('a').length === 1, 'an event');
    r.sub.close();
    expect(r.states.at(-1)).toEqual({ state: 'closed', reason: 'closed' });
  }, 30_000);
});

describe('the client and an expiring token', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      RIPPLE_JWT_SECRET: TEST_SECRET,
      RIPPLE_PRIVATE_TOPICS: 'a',
      RIPPLE_JWT_CLOCK_SKEW_S: '0',
    });
  });
  afterAll(() => t.close());

  it('asks for a fresh token when its token expires, and misses nothing', async () => {
    const hub = t.app.get(SseHub);
    let refreshed = 0;
    const r = recorded({
      url: `${t.url}/events`,
      topics: ['a'],
      token: await signToken({ subscribe: ['a'], expiresIn: 2 }),
      refreshToken: () => {
        refreshed++;
        return signToken({ subscribe: ['a'], expiresIn: 3600 });
      },
    });
    await until(() => r.sub.state === 'open', 'open');
    let n = 0;
    // Publishes across the expiry and the reconnect: every one must arrive once, in order.
    while (refreshed === 0 || n < 5) {
      await publish(hub, 'a', ++n);
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (n > 100) {
        break;
      }
    }
    await until(() => r.seen('a').length === n, `${n} events`, 5000);
    expect(refreshed).toBe(1);
    expect(r.seen('a')).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    r.sub.close();
  }, 30_000);
});

const describeRedis = await describeWithRedis();

describeRedis('the client across an instance restart (Redis)', () => {
  const prefix = testPrefix('client');
  const env = { RIPPLE_TRANSPORT: 'redis', REDIS_URL: TEST_REDIS_URL, RIPPLE_REDIS_PREFIX: prefix };
  afterAll(() => dropPrefix(TEST_REDIS_URL, prefix));

  it('resumes from its cursor on the instance that replaced the one it was on', async () => {
    const first = await PageServer.start(env);
    const other = await PageServer.start(env);
    const r = recorded({ url: `${first.url}/events`, topics: ['a'] });
    await until(() => r.sub.state === 'open', 'open');
    await first.hub.publish('a', { n: 1 });
    await until(() => r.seen('a').length === 1, 'the first event');
    await first.app.close();
    await until(() => r.sub.state === 'reconnecting', 'the drop');
    // Published while no instance serves this client: only a resume can bring it.
    await other.hub.publish('a', { n: 2 });
    const second = await PageServer.start(env, first.port);
    await until(() => r.seen('a').length === 2, 'the missed event, replayed');
    await second.hub.publish('a', { n: 3 });
    await until(() => r.seen('a').length === 3, 'live again');
    expect(r.seen('a')).toEqual([1, 2, 3]);
    r.sub.close();
    await second.close();
    await other.close();
  }, 30_000);
});
