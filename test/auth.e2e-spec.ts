import { UnsecuredJWT } from 'jose';
import { SseHub } from '../src/sse/index.js';
import { signToken, TEST_SECRET, type TokenSpec } from './utils/auth.js';
import { SseReader } from './utils/sse-reader.js';
import { ADAPTERS, post, startApp, type TestApp } from './utils/test-app.js';

const AUDIENCE = 'ripple-e2e';
const ISSUER = 'https://id.example';

/** A private-topics deployment, HS256, strict clocks. */
const ENV = {
  RIPPLE_JWT_SECRET: TEST_SECRET,
  RIPPLE_PRIVATE_TOPICS: 'private.*,vault',
  RIPPLE_JWT_AUDIENCE: AUDIENCE,
  RIPPLE_JWT_ISSUER: ISSUER,
  RIPPLE_JWT_CLOCK_SKEW_S: '0',
  RIPPLE_JWT_QUERY_MAX_TTL_S: '120',
};

/** A token this deployment accepts, with whatever grants and overrides the test gives. */
const token = (spec: TokenSpec) => signToken({ audience: AUDIENCE, issuer: ISSUER, ...spec });
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(ADAPTERS)('who may subscribe (e2e), on %s', (adapter) => {
  let t: TestApp;
  const readers: SseReader[] = [];

  const open = async (query: string, headers: Record<string, string> = {}) => {
    const reader = await SseReader.open(`${t.url}/events?${query}`, headers);
    readers.push(reader);
    return reader;
  };
  /** A stream that must open: its first frame is there. */
  const stream = async (query: string, headers: Record<string, string> = {}) => {
    const reader = await open(query, headers);
    expect({ status: reader.status, raw: reader.raw }).toMatchObject({ status: 200 });
    await reader.framesOf('retry', 1);
    return reader;
  };
  /** A stream that must be refused: its status, headers and JSON body. */
  const refused = async (query: string, headers: Record<string, string> = {}) => {
    const reader = await open(query, headers);
    await reader.waitForEnd();
    return { status: reader.status, headers: reader.headers, body: JSON.parse(reader.raw) };
  };
  const publish = async (topic: string, data: unknown) => {
    const res = await post(
      `${t.url}/events/${topic}`,
      { data },
      {
        'content-type': 'application/json',
        ...bearer(await token({ publish: ['*'] })),
      },
    );
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    t = await startApp({ ...ENV, RIPPLE_ADAPTER: adapter });
  });
  afterEach(() => {
    readers.splice(0).forEach((reader) => reader.close());
  });
  afterAll(async () => {
    await t.close();
  });

  it('streams public topics to anyone, and does not even read a token sent along', async () => {
    await stream('topic=news');
    await stream('topic=news&topic=private', bearer('not-a-token'));
    // `private` itself does not match `private.*`: the pattern wants the dot.
  });

  it('refuses a private topic without a token: 401, a JSON body, a bearer challenge', async () => {
    const res = await refused('topic=private.alice');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="ripple"');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.stringMatching(/private\.alice need a token.*ripple_token cookie/),
    });
    expect((await refused('topic=vault')).status).toBe(401);
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    [
      'a bad signature',
      () =>
        signToken(
          { subscribe: ['*'], audience: AUDIENCE, issuer: ISSUER },
          new TextEncoder().encode(`${TEST_SECRET}-other`),
        ),
      /signature does not verify/,
    ],
    ['an expired token', () => token({ subscribe: ['*'], expiresIn: -60 }), /expired \(exp\)/],
    [
      'a token not yet valid',
      () => token({ subscribe: ['*'], notBefore: 600 }),
      /not valid yet \(nbf\)/,
    ],
    [
      'a wrong audience',
      () => token({ subscribe: ['*'], audience: 'someone-else' }),
      /another audience \(aud\)/,
    ],
    ['no audience', () => signToken({ subscribe: ['*'], issuer: ISSUER }), /no "aud" claim/],
    [
      'a wrong issuer',
      () => token({ subscribe: ['*'], issuer: 'https://evil.example' }),
      /another issuer \(iss\)/,
    ],
    ['garbage', () => Promise.resolve('not.a.jwt'), /not a well-formed JWT/],
    [
      'an unsigned token (alg none)',
      () =>
        Promise.resolve(
          new UnsecuredJWT({ ripple: { subscribe: ['*'] } })
            .setAudience(AUDIENCE)
            .setIssuer(ISSUER)
            .encode(),
        ),
      /refused/,
    ],
  ])('refuses %s with a 401 that says why', async (_, make, reason) => {
    const res = await refused('topic=private.alice', bearer(await make()));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(res.body.message).toMatch(reason);
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const res = await refused('topic=private.alice', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/must be "Bearer <token>"/);
  });

  it.each<[string, TokenSpec]>([
    ['a grant for another topic', { subscribe: ['private.bob'] }],
    ['a publish grant only', { publish: ['*'] }],
    ['no ripple claim', { ripple: undefined }],
    ['a malformed ripple claim', { ripple: { subscribe: 'private.*' } }],
  ])('answers a valid token with %s with a 403', async (_, spec) => {
    const res = await refused('topic=private.alice', bearer(await token(spec)));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'The token does not grant subscribing to private topic(s) private.alice',
    });
  });

  it.each<[string, (value: string) => [string, Record<string, string>]]>([
    ['the Authorization header', (value) => ['', bearer(value)]],
    ['the cookie', (value) => ['', { cookie: `theme=dark; ripple_token=${value}` }]],
    ['the access_token query parameter', (value) => [`&access_token=${value}`, {}]],
  ])('streams a private topic to a matching grant sent in %s', async (_, send) => {
    const value = await token({ subscribe: ['private.a*', 'other'], expiresIn: 60 });
    const [query, headers] = send(value);
    const reader = await stream(`topic=private.alice${query}`, headers);
    await publish('private.alice', { secret: 42 });
    const [event] = await reader.framesOf('private.alice', 1);
    expect(event.data).toBe('{"secret":42}');
  });

  it('takes the header over the cookie when both are sent', async () => {
    const good = await token({ subscribe: ['private.*'] });
    const res = await refused('topic=private.alice', {
      ...bearer(await token({ subscribe: [] })),
      cookie: `ripple_token=${good}`,
    });
    expect(res.status).toBe(403);
  });

  it('accepts only short-lived tokens in the query string', async () => {
    const long = await token({ subscribe: ['*'], expiresIn: 3600 });
    const res = await refused(`topic=private.alice&access_token=${long}`);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/access_token= must expire within 120 s/);
    const forever = await token({ subscribe: ['*'], expiresIn: null });
    expect((await refused(`topic=private.alice&access_token=${forever}`)).status).toBe(401);
    // The long-lived one is fine elsewhere (one without exp is not: hardening-small).
    await stream('topic=private.alice', bearer(long));
    const twice = await token({ subscribe: ['*'], expiresIn: 60 });
    expect(
      (await refused(`topic=private.a&access_token=${twice}&access_token=${twice}`)).status,
    ).toBe(401);
  });

  it('streams public and private topics together when every private one is granted', async () => {
    const reader = await stream(
      'topic=news&topic=private.alice&topic=vault',
      bearer(await token({ subscribe: ['private.alice', 'vault'] })),
    );
    await publish('news', 1);
    await publish('private.alice', 2);
    await publish('vault', 3);
    await reader.framesOf('vault', 1);
    expect(reader.frames.slice(1).map((f) => [f.type, f.data])).toEqual([
      ['news', '1'],
      ['private.alice', '2'],
      ['vault', '3'],
    ]);
  });

  it('refuses a mixed stream whole when one private topic is not granted', async () => {
    const res = await refused(
      'topic=news&topic=private.alice&topic=vault',
      bearer(await token({ subscribe: ['private.*'] })),
    );
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('The token does not grant subscribing to private topic(s) vault');
    expect(t.app.get(SseHub).connectionCount).toBe(0);
  });

  it('still answers a bad request with a 400 once the token is good', async () => {
    const res = await refused(
      'topic=private.alice&topic=bad%20name',
      bearer(await token({ subscribe: ['*'] })),
    );
    expect(res.status).toBe(400);
  });

  it('ends an open stream when its token expires, with a last event that keeps the cursor', async () => {
    const reader = await stream(
      'topic=private.alice',
      bearer(await token({ subscribe: ['*'], expiresIn: 2 })),
    );
    // Past the first live event the topic's fan-out writes to the socket directly, past this
    // interceptor: the cursor must still be the last one written.
    for (const text of ['one', 'two', 'three']) {
      await publish('private.alice', text);
    }
    await reader.framesOf('private.alice', 3);
    const cursor = reader.cursor;
    const [expired] = await reader.framesOf('ripple.token-expired', 1, 4000);
    await reader.waitForEnd(1000);
    expect(JSON.parse(expired.data)).toEqual({ reason: 'token-expired' });
    expect(expired.lastEventId).toBe(cursor);
    await eventually(() => t.app.get(SseHub).connectionCount === 0, 'the hub to drop it');
  });

  it('leaves no timer behind when a client leaves before its token expires', async () => {
    const baseline = activeTimers();
    const value = await token({ subscribe: ['*'], expiresIn: 3600 });
    const open3 = await Promise.all([1, 2, 3].map(() => stream('topic=private.t', bearer(value))));
    expect(activeTimers()).toBeGreaterThan(baseline);
    open3.forEach((reader) => reader.close());
    await eventually(() => t.app.get(SseHub).connectionCount === 0, 'the hub to drop them');
    await eventually(() => activeTimers() <= baseline, 'the expiry timers to be cleared');
  });
});

describe.each(ADAPTERS)('who may publish (e2e), on %s', (adapter) => {
  let t: TestApp;
  const publishWith = (topic: string, headers: Record<string, string>, query = '') =>
    post(
      `${t.url}/events/${topic}${query}`,
      { data: 'x' },
      { 'content-type': 'application/json', ...headers },
    );

  beforeAll(async () => {
    t = await startApp({ ...ENV, RIPPLE_ADAPTER: adapter });
  });
  afterAll(async () => {
    await t.close();
  });

  it('needs a token once a key is configured, even from loopback', async () => {
    const res = await publishWith('news', {});
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.stringMatching(/^Publishing needs a token with a publish grant/),
    });
  });

  it.each<[string, () => Promise<string>, number]>([
    ['an expired token', () => token({ publish: ['*'], expiresIn: -60 }), 401],
    ['a token not yet valid', () => token({ publish: ['*'], notBefore: 600 }), 401],
    ['a wrong audience', () => token({ publish: ['*'], audience: 'other' }), 401],
    [
      'a bad signature',
      () =>
        signToken(
          { publish: ['*'], audience: AUDIENCE, issuer: ISSUER },
          new TextEncoder().encode('x'.repeat(40)),
        ),
      401,
    ],
    ['a grant for other topics', () => token({ publish: ['news.*', 'newsroom'] }), 403],
    ['a subscribe grant only', () => token({ subscribe: ['*'] }), 403],
  ])('refuses %s (%#)', async (_, make, status) => {
    const res = await publishWith('news', bearer(await make()));
    expect(res.status).toBe(status);
    expect(res.body.statusCode).toBe(status);
  });

  it('publishes with a matching grant, from the header or the cookie', async () => {
    const value = await token({ publish: ['news', 'orders.*'] });
    expect((await publishWith('news', bearer(value))).status).toBe(201);
    expect((await publishWith('orders.eu', bearer(value))).status).toBe(201);
    expect((await publishWith('orders.eu', { cookie: `ripple_token=${value}` })).status).toBe(201);
    expect((await publishWith('orders', bearer(value))).status).toBe(403);
  });

  it('does not take a token from the query string to publish', async () => {
    const value = await token({ publish: ['*'], expiresIn: 60 });
    expect((await publishWith('news', {}, `?access_token=${value}`)).status).toBe(401);
  });

  it('answers a bad topic name with a 400 once the token is good', async () => {
    const res = await publishWith('bad%20topic', bearer(await token({ publish: ['*'] })));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/Invalid topic name/);
  });
});

describe.each(ADAPTERS)('with no key configured (e2e), on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets loopback clients publish, and needs no token', async () => {
    const res = await post(`${t.url}/events/news`, { data: 1 });
    expect(res.status).toBe(201);
  });

  it('refuses what a proxy on this host relays: its clients are not on this host', async () => {
    const relayed: Record<string, string>[] = [
      { 'x-forwarded-for': '127.0.0.1' },
      { forwarded: 'for=203.0.113.7' },
      { 'x-real-ip': '203.0.113.7' },
    ];
    for (const header of relayed) {
      const res = await post(
        `${t.url}/events/news`,
        { data: 1 },
        { 'content-type': 'application/json', ...header },
      );
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/not relayed by a proxy/);
    }
  });

  it('has no private topic', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=private.alice`);
    try {
      expect(reader.status).toBe(200);
    } finally {
      reader.close();
    }
  });
});
