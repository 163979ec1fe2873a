import { request } from 'node:http';
import { ADAPTERS, expectRefusal, post, startApp, type TestApp } from './utils/test-app.js';

async function get(url: string): Promise<{ status: number; body: any; type: string | null }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // kept as text
  }
  return { status: res.status, body, type: res.headers.get('content-type') };
}

describe.each(ADAPTERS)('bad input gets a clear 4xx JSON error (e2e), on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      RIPPLE_ADAPTER: adapter,
      RIPPLE_MAX_TOPICS_PER_CONNECTION: '3',
      RIPPLE_MAX_PAYLOAD_BYTES: '1000',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /events', () => {
    it('refuses a stream with no topic', async () => {
      expectRefusal(await get(`${t.url}/events`), 400, /at least one topic/);
      expectRefusal(await get(`${t.url}/events?topic=`), 400, /Invalid topic name ""/);
    });

    it.each([
      ['a space', 'a%20b'],
      ['a slash', 'a%2Fb'],
      ['a leading dot', '.hidden'],
      ['unicode', 'caf%C3%A9'],
      ['a newline', 'a%0Ab'],
      ['129 characters', 'x'.repeat(129)],
    ])('refuses a topic name with %s', async (_name, topic) => {
      expectRefusal(await get(`${t.url}/events?topic=${topic}`), 400, /Invalid topic name/);
    });

    it('refuses too many topics on one connection, and thousands of them', async () => {
      expectRefusal(
        await get(`${t.url}/events?topic=a&topic=b&topic=c&topic=d`),
        400,
        /Too many topics on one connection: 4, at most 3/,
      );
      const many = Array.from({ length: 1000 }, (_, i) => `topic=t${i}`).join('&');
      expectRefusal(
        await get(`${t.url}/events?${many}`),
        400,
        /Too many topics on one connection: 1000/,
      );
    });

    it('refuses a query string past the header limit, and keeps serving', async () => {
      const huge = Array.from({ length: 5000 }, (_, i) => `topic=t${i}`).join('&');
      expect((await get(`${t.url}/events?${huge}`)).status).toBe(431);
      expect((await get(`${t.url}/health`)).status).toBe(200);
    });

    it('counts a repeated topic once', async () => {
      const res = await fetch(`${t.url}/events?topic=a&topic=a&topic=a&topic=a`);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    });
  });

  describe('POST /events/:topic', () => {
    it('refuses a bad topic name', async () => {
      expectRefusal(await post(`${t.url}/events/a%20b`, { data: 1 }), 400, /Invalid topic name/);
    });

    it("refuses Ripple's reserved topics, on both routes", async () => {
      expectRefusal(await post(`${t.url}/events/ripple.reset`, { data: 1 }), 400, /reserved/);
      expectRefusal(await get(`${t.url}/events?topic=ripple.reset`), 400, /reserved/);
    });

    it('refuses a body that is not JSON, naming the parse error', async () => {
      expectRefusal(await post(`${t.url}/events/a`, '{"data": '), 400, /JSON/);
    });

    it('refuses a body sent as another media type', async () => {
      expectRefusal(
        await post(`${t.url}/events/a`, '{"data": 1}', { 'content-type': 'text/plain' }),
        415,
        /must be JSON/,
      );
      expectRefusal(await post(`${t.url}/events/a`, 'data=1', {}), 415, /must be JSON/);
    });

    it.each([
      ['an array', [1, 2]],
      ['a string', 'hello'],
      ['null', null],
    ])('refuses a body that is %s', async (_name, body) => {
      expectRefusal(await post(`${t.url}/events/a`, JSON.stringify(body)), 400, /JSON object/);
    });

    it('refuses a body with no data, or with fields it does not know', async () => {
      expectRefusal(await post(`${t.url}/events/a`, { type: 'x' }), 400, /no "data" field/);
      expectRefusal(
        await post(`${t.url}/events/a`, { data: 1, id: 'mine' }),
        400,
        /Unknown field.*id/,
      );
    });

    it('refuses a bad or reserved event type', async () => {
      expectRefusal(await post(`${t.url}/events/a`, { data: 1, type: 'a b' }), 400, /event type/);
      expectRefusal(await post(`${t.url}/events/a`, { data: 1, type: 7 }), 400, /event type/);
      expectRefusal(
        await post(`${t.url}/events/a`, { data: 1, type: 'ripple.reset' }),
        400,
        /reserved/,
      );
    });

    it('refuses a payload over the limit, and takes one at the limit', async () => {
      const atLimit = 'x'.repeat(998); // 998 characters + 2 quotes = 1000 bytes of JSON
      expect((await post(`${t.url}/events/a`, { data: atLimit })).status).toBe(201);
      expectRefusal(
        await post(`${t.url}/events/a`, { data: `${atLimit}\u00e9` }),
        413,
        /1002 bytes of JSON, more than the limit of 1000/,
      );
      const huge = JSON.stringify({ data: 'y'.repeat(200_000) });
      expectRefusal(await post(`${t.url}/events/a`, huge), 413, /larger than the limit/);
    });

    it('takes falsy data: null, 0, false and the empty string', async () => {
      for (const data of [null, 0, false, '']) {
        expect((await post(`${t.url}/events/a`, { data })).status).toBe(201);
      }
    });
  });

  it('survives a client that closes mid-request, and still serves', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${t.url}/events/a`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '100' },
      });
      req.on('error', () => resolve());
      req.write('{"data": "half');
      setImmediate(() => {
        req.destroy();
        resolve();
      });
    });
    expect((await get(`${t.url}/health`)).status).toBe(200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await get(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404 });
  });
});
