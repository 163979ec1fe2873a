import { SseReader } from './utils/sse-reader.js';
import { platformEnv, post, startApp, STREAM_PLATFORMS, type TestApp } from './utils/test-app.js';

describe.each(STREAM_PLATFORMS)('GET /events and POST /events/:topic (e2e), on %s', (platform) => {
  let t: TestApp;
  const readers: SseReader[] = [];

  const open = async (query: string, headers: Record<string, string> = {}) => {
    const reader = await SseReader.open(`${t.url}/events?${query}`, headers);
    readers.push(reader);
    // The opening frame (retry and the starting cursor) marks the stream as joined.
    await reader.framesOf('retry', 1);
    return reader;
  };
  const publish = async (topic: string, data: unknown, type?: string) => {
    const res = await post(`${t.url}/events/${topic}`, type ? { data, type } : { data });
    expect(res.status).toBe(201);
    return res.body as { id: string; topic: string };
  };

  beforeAll(async () => {
    t = await startApp({
      ...platformEnv(platform),
      RIPPLE_HISTORY_SIZE: '5',
      RIPPLE_HEARTBEAT_MS: '300',
    });
  });
  afterEach(() => {
    readers.splice(0).forEach((reader) => reader.close());
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers with the SSE headers and a retry line at once', async () => {
    const reader = await open('topic=h1');
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(reader.headers['cache-control']).toMatch(/no-cache/);
    expect(reader.headers['cache-control']).toMatch(/no-transform/);
    expect(reader.headers['x-accel-buffering']).toBe('no');
    // HTTP/2 forbids the header: its connection outlives every stream anyway.
    expect(reader.headers.connection).toBe(platform === 'fastify-h2c' ? undefined : 'keep-alive');
    expect(reader.frames[0]).toMatchObject({ type: 'retry' });
    // 2000 ms, jittered by up to a fifth either way.
    expect(reader.frames[0].retry).toBeGreaterThanOrEqual(1600);
    expect(reader.frames[0].retry).toBeLessThanOrEqual(2400);
    expect(reader.cursor).toMatch(/^h1=\d+-\d+$/);
  });

  it('delivers what is published, typed by the topic or the publisher, with a cursor id', async () => {
    const reader = await open('topic=news');
    const first = await publish('news', { headline: 'hello' });
    const second = await publish('news', [1, 2, 3], 'update');
    expect(first.id).toMatch(/^\d+-\d+$/);
    await reader.waitFor((r) => r.frames.length >= 3, 5000, 'two events');
    const [, a, b] = reader.frames;
    expect(a).toEqual({
      type: 'news',
      data: '{"headline":"hello"}',
      lastEventId: `news=${first.id}`,
    });
    expect(b).toEqual({ type: 'update', data: '[1,2,3]', lastEventId: `news=${second.id}` });
  });

  it('streams several topics on one connection, and only those', async () => {
    const reader = await open('topic=m.a&topic=m.b');
    await publish('m.a', 1);
    await publish('m.other', 2);
    await publish('m.b', 3);
    await reader.framesOf('m.b', 1);
    expect(reader.frames.filter((f) => f.type !== 'retry').map((f) => [f.type, f.data])).toEqual([
      ['m.a', '1'],
      ['m.b', '3'],
    ]);
    expect(reader.cursor).toMatch(/^m\.a=\d+-\d+,m\.b=\d+-\d+$/);
  });

  it('resumes one topic exactly: the missed events, in order, none twice, then live', async () => {
    const first = await open('topic=r1');
    await publish('r1', 'a');
    await first.framesOf('r1', 1);
    const cursor = first.cursor;
    first.close();
    await publish('r1', 'b');
    await publish('r1', 'c');
    const again = await open('topic=r1', { 'last-event-id': cursor });
    await again.framesOf('r1', 2);
    await publish('r1', 'd');
    const got = await again.framesOf('r1', 3);
    expect(got.map((f) => f.data)).toEqual(['"b"', '"c"', '"d"']);
    expect(again.frames.some((f) => f.type === 'ripple.reset')).toBe(false);
  });

  it('resumes two topics exactly, each from its own position, also from ?lastEventId=', async () => {
    const first = await open('topic=t.x&topic=t.y');
    await publish('t.x', 'x1');
    await publish('t.y', 'y1');
    await first.framesOf('t.y', 1);
    const cursor = first.cursor;
    first.close();
    await publish('t.y', 'y2');
    await publish('t.x', 'x2');
    await publish('t.y', 'y3');
    const again = await open(`topic=t.x&topic=t.y&lastEventId=${encodeURIComponent(cursor)}`);
    await again.waitFor((r) => r.frames.length >= 4, 5000, 'three missed events');
    const missed = again.frames.slice(1).map((f) => f.data);
    expect(missed.filter((d) => d.startsWith('"x'))).toEqual(['"x2"']);
    expect(missed.filter((d) => d.startsWith('"y'))).toEqual(['"y2"', '"y3"']);
    expect(missed).toHaveLength(3);
  });

  it('sends ripple.reset first and goes live for a garbage cursor', async () => {
    const reader = await open('topic=g1', { 'last-event-id': 'garbage\u00ff' });
    const [reset] = await reader.framesOf('ripple.reset', 1);
    expect(JSON.parse(reset.data)).toEqual({ reason: 'malformed-cursor', topics: ['g1'] });
    expect(reader.frames.map((f) => f.type)).toEqual(['retry', 'ripple.reset']);
    await publish('g1', 'live');
    expect((await reader.framesOf('g1', 1))[0].data).toBe('"live"');
  });

  it('sends ripple.reset when the cursor is older than history, and for a cursor never issued', async () => {
    const first = await open('topic=old');
    await publish('old', 0);
    await first.framesOf('old', 1);
    const cursor = first.cursor;
    first.close();
    for (let i = 1; i <= 7; i++) {
      await publish('old', i); // history keeps 5
    }
    const again = await open('topic=old', { 'last-event-id': cursor });
    const [reset] = await again.framesOf('ripple.reset', 1);
    expect(JSON.parse(reset.data)).toEqual({ reason: 'trimmed', topics: ['old'] });
    await publish('old', 8);
    expect((await again.framesOf('old', 1)).map((f) => f.data)).toEqual(['8']);

    const future = await open('topic=old', { 'last-event-id': 'old=99999999999999-0' });
    const [unknown] = await future.framesOf('ripple.reset', 1);
    expect(JSON.parse(unknown.data)).toEqual({ reason: 'unknown-position', topics: ['old'] });
  });

  it('starts a topic the cursor does not name from now, without a reset', async () => {
    const first = await open('topic=n.a');
    await publish('n.a', 1);
    await first.framesOf('n.a', 1);
    await publish('n.b', 'before');
    const again = await open('topic=n.a&topic=n.b', { 'last-event-id': first.cursor });
    await publish('n.b', 'after');
    await again.framesOf('n.b', 1);
    expect(again.frames.filter((f) => f.type === 'n.b').map((f) => f.data)).toEqual(['"after"']);
    expect(again.frames.some((f) => f.type === 'ripple.reset')).toBe(false);
  });

  it('keeps an idle connection alive with heartbeat comments', async () => {
    const reader = await open('topic=quiet');
    await reader.waitFor((r) => r.comments >= 2, 3000, 'two heartbeats');
    expect(reader.frames.map((f) => f.type)).toEqual(['retry']);
  });

  it('carries payloads that could break a naive framing, intact', async () => {
    const reader = await open('topic=frames');
    const payloads = [
      'multi\nline\n',
      'cr\ronly',
      'crlf\r\n\r\nend',
      'nul\u0000byte',
      'unicode \u{1F30A} \u2028 caf\u00e9',
      '',
      'data: fake\n\nevent: evil\nid: 1\n\n',
      'x'.repeat(64 * 1024),
    ];
    for (const text of payloads) {
      await publish('frames', { text });
    }
    const got = await reader.framesOf('frames', payloads.length);
    expect(got.map((f) => JSON.parse(f.data).text)).toEqual(payloads);
  });
});

describe.each(STREAM_PLATFORMS)('resume under concurrent publishing (e2e), on %s', (platform) => {
  let t: TestApp;
  const readers: SseReader[] = [];
  const open = async (query: string, headers: Record<string, string> = {}) => {
    const reader = await SseReader.open(`${t.url}/events?${query}`, headers);
    readers.push(reader);
    await reader.framesOf('retry', 1);
    return reader;
  };
  const publish = async (topic: string, data: unknown) => {
    const res = await post(`${t.url}/events/${topic}`, { data });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    t = await startApp(platformEnv(platform));
  });
  afterAll(async () => {
    readers.forEach((reader) => reader.close());
    await t.close();
  });

  it('loses nothing to the race between reading history and going live', async () => {
    // Publish continuously while clients resume: every one must see a gapless, duplicate-free run.
    const first = await open('topic=race');
    await publish('race', 0);
    await first.framesOf('race', 1);
    const cursor = first.cursor;
    first.close();
    let n = 1;
    let running = true;
    const publisher = (async () => {
      while (running) {
        await publish('race', n++);
      }
    })();
    const resumed = await Promise.all(
      Array.from({ length: 5 }, () => open('topic=race', { 'last-event-id': cursor })),
    );
    await Promise.all(resumed.map((r) => r.framesOf('race', 20, 10_000)));
    running = false;
    await publisher;
    const last = n - 1;
    await Promise.all(resumed.map((r) => r.waitFor((x) => x.frames.at(-1)?.data === String(last))));
    for (const reader of resumed) {
      const values = reader.frames.filter((f) => f.type === 'race').map((f) => Number(f.data));
      expect(values).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    }
  });
});
