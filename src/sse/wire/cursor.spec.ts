import { encodeCursor, MAX_CURSOR_LENGTH, parseCursor } from './cursor.js';

describe('cursor', () => {
  it('round-trips every topic of a connection, in order', () => {
    const cursor = new Map([
      ['clock', '1764097200000-0'],
      ['a.b:c_d-e', '0-0'],
    ]);
    const text = encodeCursor(cursor);
    expect(text).toBe('clock=1764097200000-0,a.b:c_d-e=0-0');
    const parsed = parseCursor(text);
    expect(parsed.ok && [...parsed.cursor]).toEqual([...cursor]);
  });

  it.each([
    ['empty', ''],
    ['no id', 'clock'],
    ['no topic', '=1-0'],
    ['bad id', 'clock=abc'],
    ['leading zero', 'clock=01-0'],
    ['bad topic', 'cl ock=1-0'],
    ['trailing comma', 'clock=1-0,'],
    ['newline', 'clock=1-0\nfoo=1-0'],
    ['NUL', 'clock=1-0\u0000'],
    ['unicode', 'cl\u00f6ck=1-0'],
    ['duplicate topic', 'a=1-0,a=2-0'],
    ['extra equals', 'a=1-0=2'],
    ['script', '<script>alert(1)</script>'],
    ['number only', '42'],
  ])('refuses %s', (_name, text) => {
    const parsed = parseCursor(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason.length).toBeGreaterThan(0);
  });

  it('refuses a cursor too long to be honest, without reading it', () => {
    const long = Array.from({ length: 2000 }, (_, i) => `t${i}=1-0`).join(',');
    expect(long.length).toBeGreaterThan(MAX_CURSOR_LENGTH);
    expect(parseCursor(long)).toEqual({ ok: false, reason: expect.stringContaining('longer') });
  });
});
