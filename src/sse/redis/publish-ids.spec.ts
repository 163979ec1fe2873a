import { publishIds } from './publish-ids.js';

describe('publishIds', () => {
  it('never gives one id twice, within an instance or across instances', () => {
    const [a, b] = [publishIds(), publishIds()];
    const ids = Array.from({ length: 1000 }, (_, i) => (i % 2 ? a() : b()));
    expect(new Set(ids).size).toBe(1000);
  });

  it('gives short ids, safe in a key', () => {
    const next = publishIds();
    next();
    expect(next()).toMatch(/^[A-Za-z0-9_-]{16}\.1$/);
  });
});
