import { signToken, TEST_SECRET } from './utils/auth.js';
import { scrape } from './utils/prometheus.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';

/**
 * Issue 13, item 3: a private topic's name (`private.alice-<account number>`) reaches only those
 * whose token may subscribe to it: not /topics without the grant, not the metrics, and the
 * metrics are not on the public address at all.
 */
describe('private topic names do not leak (e2e)', () => {
  let t: TestApp;
  let subscriber: SseReader;

  const topicsSeen = async (headers: Record<string, string> = {}, query = '') => {
    const res = await fetch(`${t.url}/topics${query}`, { headers });
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    t = await startApp({ RIPPLE_JWT_SECRET: TEST_SECRET, RIPPLE_PRIVATE_TOPICS: 'private.*' });
    const grant = await signToken({ subscribe: ['private.alice-*'], publish: ['*'] });
    subscriber = await SseReader.open(`${t.url}/events?topic=private.alice-123`, {
      authorization: `Bearer ${grant}`,
    });
    await subscriber.framesOf('retry', 1);
    const published = await post(
      `${t.url}/events/private.alice-123`,
      { data: { balance: 1 } },
      { 'content-type': 'application/json', authorization: `Bearer ${grant}` },
    );
    expect(published.status).toBe(201);
    await subscriber.framesOf('private.alice-123', 1);
    expect(
      (
        await post(
          `${t.url}/events/news`,
          { data: 1 },
          {
            'content-type': 'application/json',
            authorization: `Bearer ${grant}`,
          },
        )
      ).status,
    ).toBe(201);
  });

  afterAll(async () => {
    subscriber?.close();
    await t?.close();
  });

  it('lists public topics only to a client without a grant, whatever token it sends', async () => {
    const anonymous = await topicsSeen();
    expect(anonymous).toContain('"news"');
    expect(anonymous).not.toContain('alice-123');
    const other = await signToken({ subscribe: ['private.bob-*'] });
    const expired = await signToken({ subscribe: ['private.*'], expiresIn: -120 });
    const forged = await signToken(
      { subscribe: ['private.*'] },
      new TextEncoder().encode('x'.repeat(40)),
    );
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${other}` },
      { authorization: `Bearer ${expired}` },
      { authorization: `Bearer ${forged}` },
      { authorization: 'Bearer' },
      { authorization: 'Basic abc' },
      { cookie: 'ripple_token=garbage' },
    ]) {
      const seen = await topicsSeen(headers);
      expect(seen).toContain('"news"');
      expect(seen).not.toContain('alice-123');
    }
    expect(await topicsSeen({}, '?access_token=a&access_token=b')).not.toContain('alice-123');
  });

  it('lists a private topic to a token that may subscribe to it', async () => {
    const grant = await signToken({ subscribe: ['private.alice-*'] });
    const seen = JSON.parse(await topicsSeen({ authorization: `Bearer ${grant}` })) as {
      topics: { topic: string; subscribers: number }[];
    };
    expect(seen.topics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ topic: 'private.alice-123', subscribers: 1 }),
        expect.objectContaining({ topic: 'news' }),
      ]),
    );
    const short = await signToken({ subscribe: ['private.*'], expiresIn: 60 });
    expect(await topicsSeen({ cookie: `ripple_token=${short}` })).toContain('private.alice-123');
    expect(await topicsSeen({}, `?access_token=${short}`)).toContain('private.alice-123');
  });

  it('counts private topics under one label in the metrics, off the main port', async () => {
    const main = await fetch(`${t.url}/metrics`);
    expect(main.status).toBe(404);
    expect(await main.text()).not.toContain('alice-123');
    const res = await fetch(`${t.metricsUrl}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain('alice-123');
    const metrics = await scrape(t.metricsUrl!);
    expect(metrics.value('ripple_events_published_total', { topic: '_private' })).toBe(1);
    expect(metrics.value('ripple_events_delivered_total', { topic: '_private' })).toBe(1);
    expect(metrics.value('ripple_events_published_total', { topic: 'news' })).toBe(1);
  });
});
