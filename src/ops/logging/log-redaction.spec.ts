import { redactHeaders, redactUrl, REQUEST_SECRET_HEADERS, requestIdOf } from './log-redaction.js';

describe('redactUrl', () => {
  it.each([
    ['/events?topic=a', '/events?topic=a'],
    ['/events', '/events'],
    ['/events?topic=a&access_token=eyJ.x.y', '/events?topic=a&access_token=[Redacted]'],
    ['/events?access_token=eyJ.x.y&topic=a', '/events?access_token=[Redacted]&topic=a'],
    // Names as the query parser reads them: percent-encoded or repeated.
    [
      '/e?access%5Ftoken=abc&access_token=def',
      '/e?access%5Ftoken=[Redacted]&access_token=[Redacted]',
    ],
    ['/e?access_token', '/e?access_token=[Redacted]'],
    ['/e?access_token=abc#frag', '/e?access_token=[Redacted]#frag'],
    ['/e?x=%E0%A4%A&access_token=abc', '/e?x=%E0%A4%A&access_token=[Redacted]'],
    // Only that parameter: one whose name merely contains it is kept.
    ['/e?my_access_token=abc', '/e?my_access_token=abc'],
  ])('%s -> %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});

describe('requestIdOf', () => {
  it('keeps a plausible X-Request-Id from a client or proxy', () => {
    expect(requestIdOf('0f9c2a7e4b1d4f7a9c3e5b2a1d0c9e8f')).toBe(
      '0f9c2a7e4b1d4f7a9c3e5b2a1d0c9e8f',
    );
    expect(requestIdOf('trace:42/a.b-c')).toBe('trace:42/a.b-c');
  });

  it('makes a UUID when there is none, or when it is too long, repeated or holds other characters', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const header of [undefined, '', 'x'.repeat(129), 'a b', 'a\nb', '"quoted"', ['a', 'b']]) {
      expect(requestIdOf(header)).toMatch(uuid);
    }
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });
});

describe('redactHeaders', () => {
  it('replaces the secret headers in a copy, and leaves other headers as they are', () => {
    const headers = { authorization: 'Bearer eyJ.x.y', cookie: 'ripple_token=abc', accept: '*/*' };
    expect(redactHeaders(headers, REQUEST_SECRET_HEADERS)).toEqual({
      authorization: '[Redacted]',
      cookie: '[Redacted]',
      accept: '*/*',
    });
    expect(headers.authorization).toBe('Bearer eyJ.x.y');
    const plain = { accept: '*/*' };
    expect(redactHeaders(plain, REQUEST_SECRET_HEADERS)).toBe(plain);
  });
});
