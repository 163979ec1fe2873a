import { eventFingerprint, IdempotencyKeys } from './idempotency.js';

describe('IdempotencyKeys (the memory transport’s)', () => {
  it('remembers a key per topic for the window, then forgets it', () => {
    const keys = new IdempotencyKeys(1000, 10);
    keys.remember('a', 'k', '1-0', 'f', 0);
    expect(keys.find('a', 'k', 999)).toEqual({ id: '1-0', fingerprint: 'f' });
    expect(keys.find('b', 'k', 999)).toBeUndefined();
    expect(keys.find('a', 'k', 1000)).toBeUndefined();
    expect(keys.size).toBe(0);
  });

  it('holds at most its cap, forgetting the oldest first', () => {
    const keys = new IdempotencyKeys(60_000, 3);
    for (let i = 0; i < 10; i++) {
      keys.remember('t', `k${i}`, `${i}-0`, 'f', i);
    }
    expect(keys.size).toBe(3);
    expect(keys.find('t', 'k6', 10)).toBeUndefined();
    expect(keys.find('t', 'k7', 10)?.id).toBe('7-0');
  });
});

describe('eventFingerprint', () => {
  it('tells apart the data and the type, and holds no space', () => {
    const a = eventFingerprint({ data: '"x"' });
    expect(eventFingerprint({ data: '"x"' })).toBe(a);
    expect(eventFingerprint({ data: '"y"' })).not.toBe(a);
    expect(eventFingerprint({ data: '"x"', type: 'k' })).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
