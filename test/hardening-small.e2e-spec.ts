import { signToken, TEST_SECRET } from './utils/auth.js';
import { startBuilt } from './utils/built-app.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';

/** Issue 13, item 9: the smaller holes of the HTTP surface, one `describe` each. */

describe('a token without exp (e2e)', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((t) => t.close()));
  });
  const env = { RIPPLE_JWT_SECRET: TEST_SECRET, RIPPLE_PRIVATE_TOPICS: 'private.*' };

  const attempt = async (t: TestApp, token: string) => {
    const reader = await SseReader.open(`${t.url}/events?topic=private.x`, {
      authorization: `Bearer ${token}`,
    });
    if (reader.status !== 200) {
      await reader.waitForEnd();
    }
    reader.close();
    return reader;
  };

  it('is refused by default, for streams and publishes', async () => {
    const t = await startApp(env);
    apps.push(t);
    const forever = await signToken({ subscribe: ['*'], publish: ['*'], expiresIn: null });
    const refused = await attempt(t, forever);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.raw).message).toMatch(/no "exp" claim/);
    const published = await post(
      `${t.url}/events/news`,
      { data: 1 },
      { 'content-type': 'application/json', authorization: `Bearer ${forever}` },
    );
    expect(published.status).toBe(401);
    expect((await attempt(t, await signToken({ subscribe: ['*'] }))).status).toBe(200);
  });

  it('is accepted with RIPPLE_JWT_REQUIRE_EXP=false', async () => {
    const t = await startApp({ ...env, RIPPLE_JWT_REQUIRE_EXP: 'false' });
    apps.push(t);
    const forever = await signToken({ subscribe: ['*'], expiresIn: null });
    expect((await attempt(t, forever)).status).toBe(200);
  });
});

describe('the rest of the HTTP surface (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    'x-client-ip',
    'true-client-ip',
    'cf-connecting-ip',
    'x-original-forwarded-for',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'forwarded',
    'x-real-ip',
    'via',
    // Found by test/hardening-attack: vendors' own names, published before.
    'fly-client-ip',
    'x-azure-clientip',
    'x-vercel-forwarded-for',
    'x-originating-ip',
    'cdn-loop',
  ])('refuses a keyless publish from loopback relayed with %s', async (header) => {
    const res = await post(
      `${t.url}/events/news`,
      { data: 1 },
      {
        'content-type': 'application/json',
        [header]: header === 'via' ? '1.1 proxy' : '203.0.113.7',
      },
    );
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/not relayed by a proxy/);
  });

  it('lets a direct loopback client publish with no key', async () => {
    expect((await post(`${t.url}/events/news`, { data: 1 })).status).toBe(201);
  });

  it('sends no X-Powered-By', async () => {
    for (const path of ['/', '/topics', '/health/live', '/no-such-route']) {
      const res = await fetch(`${t.url}${path}`);
      await res.arrayBuffer();
      expect({ path, poweredBy: res.headers.get('x-powered-by') }).toEqual({
        path,
        poweredBy: null,
      });
    }
    const res = await fetch(`${t.url}/events/news`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"data": 1}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('gives the 400 for malformed JSON (and the 413 for a body too large) a request id', async () => {
    const send = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${t.url}/events/news`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const given = await send('{"data": ', { 'x-request-id': 'bad-json-1' });
    expect(given.status).toBe(400);
    expect(given.headers.get('x-request-id')).toBe('bad-json-1');
    expect(await given.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const made = await send('{"data": ');
    expect(made.status).toBe(400);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const large = await send(JSON.stringify({ data: 'x'.repeat(1200 * 1024) }));
    expect(large.status).toBe(413);
    expect(large.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('parses every application/*+json body it accepts, and refuses the rest with 415', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=media`);
    try {
      await reader.framesOf('retry', 1);
      for (const type of [
        'application/merge-patch+json',
        'application/vnd.api+json; charset=utf-8',
        'Application/JSON',
      ]) {
        const res = await post(`${t.url}/events/media`, { data: type }, { 'content-type': type });
        expect({ type, status: res.status }).toEqual({ type, status: 201 });
      }
      await reader.framesOf('media', 3);
      for (const type of ['application/json-seq', 'text/plain', 'application/jsonx']) {
        const res = await post(`${t.url}/events/media`, { data: type }, { 'content-type': type });
        expect({ type, status: res.status }).toEqual({ type, status: 415 });
      }
    } finally {
      reader.close();
    }
  });
});

describe('the start-up log (e2e)', () => {
  it('says the server listens on every address when it does', async () => {
    const app = await startBuilt({ HOST: '0.0.0.0', RIPPLE_PRODUCERS: 'none' });
    try {
      const port = new URL(app.url).port;
      expect(app.output()).toContain(`Listening on http://0.0.0.0:${port} (every IPv4 address)`);
      expect(app.output()).not.toContain(`127.0.0.1:${port}`);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });
});
