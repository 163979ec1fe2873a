import { ADAPTERS, startApp, type TestApp } from './utils/test-app.js';

const APP = 'https://app.example';
const DEV = 'http://localhost:5173';

const preflight = (url: string, origin: string, method = 'POST') =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'content-type,authorization',
    },
  });

describe.each(ADAPTERS)('CORS on the event routes (e2e), on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter, RIPPLE_CORS_ORIGINS: `${APP}, ${DEV}` });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([APP, DEV])(
    'answers a preflight for a JSON POST with a token from the listed origin %s',
    async (origin) => {
      const res = await preflight(`${t.url}/events/news`, origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/);
      const allowed = res.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
      expect(allowed).toMatch(/\bcontent-type\b/);
      expect(allowed).toMatch(/\bauthorization\b/);
      expect(allowed).toMatch(/\bidempotency-key\b/);
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
      expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    },
  );

  it.each(['https://evil.example', 'https://app.example.evil.example', 'null', `${APP}:444`])(
    'refuses a preflight from %s with a 403 and no CORS header',
    async (origin) => {
      const res = await preflight(`${t.url}/events/news`, origin);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(await res.json()).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: expect.stringMatching(/is not among the allowed CORS origins/),
      });
    },
  );

  it('lets a listed origin read the stream with credentials, and no other', async () => {
    const ok = await fetch(`${t.url}/events?topic=news`, { headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await ok.body?.cancel();

    const other = await fetch(`${t.url}/events?topic=news`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();
    await other.body?.cancel();
  });

  it('lets a listed origin read what a publish answers', async () => {
    const res = await fetch(`${t.url}/events/news`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ data: 1 }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('adds nothing to routes other than the two event routes', async () => {
    const res = await fetch(`${t.url}/health`, { headers: { origin: APP } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.each(ADAPTERS)('CORS with * listed (e2e), on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter, RIPPLE_CORS_ORIGINS: `${APP},*` });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets any other origin in, but never with credentials', async () => {
    const res = await preflight(`${t.url}/events/news`, 'https://elsewhere.example');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('still gives the listed origin its name and credentials', async () => {
    const res = await preflight(`${t.url}/events/news`, APP);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });
});

describe.each(ADAPTERS)('CORS with no origin configured (e2e), on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses every cross-origin preflight and adds no CORS header', async () => {
    const res = await preflight(`${t.url}/events`, APP, 'GET');
    expect(res.status).toBe(403);
    const stream = await fetch(`${t.url}/events?topic=news`, { headers: { origin: APP } });
    expect(stream.headers.get('access-control-allow-origin')).toBeNull();
    await stream.body?.cancel();
  });
});
