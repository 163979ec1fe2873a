import { LogTranscript, signToken, TEST_SECRET } from './utils/auth.js';
import { startBuilt } from './utils/built-app.js';
import { parseJsonLines } from './utils/log-capture.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp } from './utils/test-app.js';

describe('what the logs say about tokens (e2e)', () => {
  it('says in one start-up line that, with no key, only loopback clients may publish', async () => {
    const logs = new LogTranscript();
    const t = await startApp({}, { logger: logs });
    await t.close();
    const lines = logs.lines.filter((line) => /loopback/.test(line));
    expect(lines).toEqual([
      expect.stringMatching(/^log .*only loopback clients may publish over HTTP/),
    ]);
  });

  it('says which key checks tokens, and never the secret', async () => {
    const logs = new LogTranscript();
    const t = await startApp(
      { RIPPLE_JWT_SECRET: TEST_SECRET, RIPPLE_PRIVATE_TOPICS: 'private.*' },
      { logger: logs },
    );
    await t.close();
    expect(logs.text).toMatch(/Tokens checked with HS256 .*private topics: private\.\*/);
    expect(logs.text).not.toContain(TEST_SECRET);
  });

  it('writes no token, secret or token-bearing query string, at any level, whatever happens', async () => {
    const logs = new LogTranscript();
    const t = await startApp(TOKEN_ENV, { logger: logs });
    let tokens: string[];
    try {
      tokens = await exerciseTokens(t.url);
    } finally {
      await t.close();
    }

    // The capture saw the refusals, at debug level: it would have seen a token, had one been written.
    expect(logs.text).toMatch(
      /debug Refused GET \/events: 401 The token was refused: it has expired/,
    );
    expect(logs.text).toMatch(/debug Refused POST \/events\/news: 403/);
    expect(logs.text).toMatch(/Ended a stream of private topics: its token expired/);
    expectNoSecretIn(logs.text, tokens);
    expect(logs.text).not.toContain('access_token');
  });

  it('writes JSON lines through pino with no token or secret, request lines included, as the built service runs', async () => {
    const app = await startBuilt({
      ...TOKEN_ENV,
      NODE_ENV: 'production',
      RIPPLE_LOG_LEVEL: 'debug',
    });
    let tokens: string[];
    try {
      tokens = await exerciseTokens(app.url);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    const lines = parseJsonLines(app.output());
    const refusals = lines.filter((line) => line.msg?.startsWith('Refused '));
    expect(refusals.length).toBeGreaterThan(20);
    // Said while a request was handled: they carry its id.
    expect(refusals.every((line) => line.level === 'debug' && line.reqId)).toBe(true);
    const requests = lines.filter((line) => line.req);
    const withQueryToken = requests.filter((line) => line.req?.url.includes('access_token'));
    expect(withQueryToken.length).toBeGreaterThan(5);
    for (const line of withQueryToken) {
      expect(line.req?.url).toMatch(/[?&]access_token=\[Redacted\](&|$)/);
    }
    for (const line of requests) {
      for (const header of ['authorization', 'cookie']) {
        expect([undefined, '[Redacted]']).toContain(line.req?.headers[header]);
      }
    }
    expect(requests.some((line) => line.req?.headers.authorization === '[Redacted]')).toBe(true);
    expect(requests.some((line) => line.req?.headers.cookie === '[Redacted]')).toBe(true);
    expectNoSecretIn(app.output(), tokens);
  });
});

const TOKEN_ENV = {
  RIPPLE_JWT_SECRET: TEST_SECRET,
  RIPPLE_PRIVATE_TOPICS: 'private.*',
  RIPPLE_JWT_CLOCK_SKEW_S: '0',
};

/**
 * Every way a token can reach Ripple (header, cookie, query string; valid, expired, ungranted,
 * forged, garbage; on a stream and on a publish), and a stream that ends when its token expires.
 * Returns the tokens sent.
 */
async function exerciseTokens(url: string): Promise<string[]> {
  const tokens: string[] = [];
  const make = async (spec: Parameters<typeof signToken>[0]) => {
    const value = await signToken(spec);
    tokens.push(value);
    return value;
  };
  const readers: SseReader[] = [];
  const open = async (query: string, headers: Record<string, string> = {}) => {
    const reader = await SseReader.open(`${url}/events?${query}`, headers);
    readers.push(reader);
    return reader;
  };
  try {
    const good = await make({ subscribe: ['private.*'], publish: ['*'], expiresIn: 60 });
    const expired = await make({ subscribe: ['private.*'], publish: ['*'], expiresIn: -5 });
    const ungranted = await make({ subscribe: ['other'], publish: ['other'], expiresIn: 60 });
    const forged = await signToken({ subscribe: ['*'] }, new TextEncoder().encode('f'.repeat(40)));
    tokens.push(forged, 'garbage-token-value-123');

    for (const value of [good, expired, ungranted, forged, 'garbage-token-value-123']) {
      await open('topic=private.a', { authorization: `Bearer ${value}` });
      await open('topic=private.a', { cookie: `ripple_token=${encodeURIComponent(value)}` });
      await open(`topic=private.a&access_token=${value}`);
      for (const headers of <Record<string, string>[]>[
        { authorization: `Bearer ${value}` },
        { cookie: `ripple_token=${value}` },
      ]) {
        await post(
          `${url}/events/news`,
          { data: 1 },
          { 'content-type': 'application/json', ...headers },
        );
      }
      await post(`${url}/events/news?access_token=${value}`, { data: 1 });
    }
    // A stream that ends because its token expires.
    const shortLived = await make({ subscribe: ['private.*'], expiresIn: 2 });
    const ending = await open(`topic=private.a&access_token=${shortLived}`);
    await ending.framesOf('ripple.token-expired', 1, 5000);
    await Promise.all(readers.map((reader) => reader.waitFor((r) => r.raw.length > 0)));
  } finally {
    readers.forEach((reader) => reader.close());
  }
  return tokens;
}

function expectNoSecretIn(text: string, tokens: string[]): void {
  for (const value of tokens) {
    for (const part of value.split('.')) {
      expect(text).not.toContain(part);
    }
  }
  expect(text).not.toContain(TEST_SECRET);
}
