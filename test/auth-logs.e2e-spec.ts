import { LogTranscript, signToken, TEST_SECRET } from './utils/auth.js';
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
    const t = await startApp(
      {
        RIPPLE_JWT_SECRET: TEST_SECRET,
        RIPPLE_PRIVATE_TOPICS: 'private.*',
        RIPPLE_JWT_CLOCK_SKEW_S: '0',
      },
      { logger: logs },
    );
    const tokens: string[] = [];
    const make = async (spec: Parameters<typeof signToken>[0]) => {
      const value = await signToken(spec);
      tokens.push(value);
      return value;
    };
    const readers: SseReader[] = [];
    const open = async (query: string, headers: Record<string, string> = {}) => {
      const reader = await SseReader.open(`${t.url}/events?${query}`, headers);
      readers.push(reader);
      return reader;
    };
    try {
      const good = await make({ subscribe: ['private.*'], publish: ['*'], expiresIn: 60 });
      const expired = await make({ subscribe: ['private.*'], publish: ['*'], expiresIn: -5 });
      const ungranted = await make({ subscribe: ['other'], publish: ['other'], expiresIn: 60 });
      const forged = await signToken(
        { subscribe: ['*'] },
        new TextEncoder().encode('f'.repeat(40)),
      );
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
            `${t.url}/events/news`,
            { data: 1 },
            { 'content-type': 'application/json', ...headers },
          );
        }
        await post(`${t.url}/events/news?access_token=${value}`, { data: 1 });
      }
      // A stream that ends because its token expires.
      const shortLived = await make({ subscribe: ['private.*'], expiresIn: 2 });
      const ending = await open(`topic=private.a&access_token=${shortLived}`);
      await ending.framesOf('ripple.token-expired', 1, 5000);
      await Promise.all(readers.map((reader) => reader.waitFor((r) => r.raw.length > 0)));
    } finally {
      readers.forEach((reader) => reader.close());
      await t.close();
    }

    // The capture saw the refusals, at debug level: it would have seen a token, had one been written.
    expect(logs.text).toMatch(
      /debug Refused GET \/events: 401 The token was refused: it has expired/,
    );
    expect(logs.text).toMatch(/debug Refused POST \/events\/news: 403/);
    expect(logs.text).toMatch(/Ended a stream of private topics: its token expired/);
    for (const value of tokens) {
      for (const part of value.split('.')) {
        expect(logs.text).not.toContain(part);
      }
    }
    expect(logs.text).not.toContain(TEST_SECRET);
    expect(logs.text).not.toContain('access_token');
  });
});
