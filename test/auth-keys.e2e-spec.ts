import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { signToken, startJwksServer } from './utils/auth.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';

interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

const pair = (alg: 'RS256' | 'ES256'): Promise<KeyPair> =>
  generateKeyPair(alg, { extractable: true });

const GRANT = { subscribe: ['private.*'], publish: ['news'] };

/** The status a private stream is answered with, and the JSON body of a refusal. */
async function subscribeStatus(
  t: TestApp,
  headers: Record<string, string>,
): Promise<{ status: number; body?: any }> {
  const reader = await SseReader.open(`${t.url}/events?topic=private.alice`, headers);
  try {
    if (reader.status === 200) {
      await reader.framesOf('retry', 1);
      return { status: 200 };
    }
    await reader.waitForEnd();
    return { status: reader.status, body: JSON.parse(reader.raw) };
  } finally {
    reader.close();
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(['RS256', 'ES256'] as const)('tokens checked with a %s public key (e2e)', (alg) => {
  let t: TestApp;
  let keys: KeyPair;
  let pem: string;

  beforeAll(async () => {
    keys = await pair(alg);
    pem = await exportSPKI(keys.publicKey);
    // As a compose file or a CI secret often holds a PEM: on one line, with \n escapes.
    t = await startApp({
      RIPPLE_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'),
      RIPPLE_PRIVATE_TOPICS: 'private.*',
      RIPPLE_JWT_COOKIE: 'session_jwt',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a token signed with the private key, from the header or the named cookie', async () => {
    const token = await signToken(GRANT, keys.privateKey, alg);
    expect(await subscribeStatus(t, bearer(token))).toEqual({ status: 200 });
    expect(await subscribeStatus(t, { cookie: `session_jwt=${token}` })).toEqual({ status: 200 });
    expect((await subscribeStatus(t, { cookie: `ripple_token=${token}` })).status).toBe(401);
    const res = await post(
      `${t.url}/events/news`,
      { data: 1 },
      {
        'content-type': 'application/json',
        ...bearer(token),
      },
    );
    expect(res.status).toBe(201);
  });

  it('refuses a token signed with another key', async () => {
    const other = await pair(alg);
    const res = await subscribeStatus(t, bearer(await signToken(GRANT, other.privateKey, alg)));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/signature does not verify/);
  });

  it('refuses an HS256 token signed with the public key as its secret (algorithm confusion)', async () => {
    const forged = await signToken(GRANT, new TextEncoder().encode(pem), 'HS256');
    const res = await subscribeStatus(t, bearer(forged));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/algorithm this server does not accept/);
  });
});

describe('tokens checked with a JWKS (e2e)', () => {
  let t: TestApp;
  let rsa: KeyPair;
  let ec: KeyPair;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;

  beforeAll(async () => {
    [rsa, ec] = await Promise.all([pair('RS256'), pair('ES256')]);
    const published: JWK[] = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    jwks = await startJwksServer(published);
    t = await startApp({ RIPPLE_JWKS_URL: jwks.url, RIPPLE_PRIVATE_TOPICS: 'private.*' });
  });
  afterAll(async () => {
    await t.close();
    await jwks.close();
  });

  it('accepts RS256 and ES256 tokens whose kid the key set holds, fetching it as needed', async () => {
    const before = jwks.requests();
    expect(
      await subscribeStatus(t, bearer(await signToken(GRANT, rsa.privateKey, 'RS256', 'rsa-1'))),
    ).toEqual({ status: 200 });
    expect(
      await subscribeStatus(t, bearer(await signToken(GRANT, ec.privateKey, 'ES256', 'ec-1'))),
    ).toEqual({ status: 200 });
    expect(jwks.requests()).toBeGreaterThan(before);
  });

  it('refuses a token whose kid the key set does not hold', async () => {
    const res = await subscribeStatus(
      t,
      bearer(await signToken(GRANT, rsa.privateKey, 'RS256', 'rsa-unknown')),
    );
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/no key of the key set matches it/);
  });

  it('refuses a token signed by a key the set does not hold', async () => {
    const stranger = await pair('RS256');
    const res = await subscribeStatus(
      t,
      bearer(await signToken(GRANT, stranger.privateKey, 'RS256', 'rsa-1')),
    );
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/signature does not verify/);
  });
});

describe('a JWKS that cannot be fetched (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // A port that was free a moment ago: nothing answers there.
    const gone = await startJwksServer([]);
    await gone.close();
    t = await startApp({ RIPPLE_JWKS_URL: gone.url, RIPPLE_PRIVATE_TOPICS: 'private.*' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 503, not 401: the client did nothing wrong', async () => {
    const keys = await pair('RS256');
    const res = await subscribeStatus(
      t,
      bearer(await signToken(GRANT, keys.privateKey, 'RS256', 'rsa-1')),
    );
    expect(res).toEqual({
      status: 503,
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The keys that verify tokens cannot be fetched right now; retry later',
      },
    });
  });
});
