import { compareEventIds, isEventId, nextEventId } from './event-id.js';

describe('event ids', () => {
  it('accepts Redis-shaped ids and refuses anything else', () => {
    expect(isEventId('0-0')).toBe(true);
    expect(isEventId('1764097200000-12')).toBe(true);
    expect(isEventId('18446744073709551615-18446744073709551615')).toBe(true);
    for (const bad of ['', '-', '1', '1-', '-1', '01-0', '1-01', '1-2-3', ' 1-0', '1-0\n', 'a-b']) {
      expect(isEventId(bad)).toBe(false);
    }
    expect(isEventId(`${'9'.repeat(21)}-0`)).toBe(false);
    // Twenty digits, but past what Redis holds (uint64): no history has such a position.
    expect(isEventId('18446744073709551616-0')).toBe(false);
    expect(isEventId('1-18446744073709551616')).toBe(false);
    expect(isEventId(`1764097200000-${'9'.repeat(20)}`)).toBe(false);
  });

  it('orders numerically, not as strings, and exactly past 2^53', () => {
    expect(compareEventIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareEventIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareEventIds('10-10', '10-10')).toBe(0);
    expect(compareEventIds('9007199254740993-0', '9007199254740992-0')).toBeGreaterThan(0);
    const sorted = ['3-0', '10-1', '10-0', '2-5'].sort(compareEventIds);
    expect(sorted).toEqual(['2-5', '3-0', '10-0', '10-1']);
  });

  it('grows with the clock, and within a millisecond, and when the clock goes back', () => {
    expect(nextEventId('0-0', 1000)).toBe('1000-0');
    expect(nextEventId('1000-0', 1000)).toBe('1000-1');
    expect(nextEventId('1000-1', 999)).toBe('1000-2');
    expect(compareEventIds(nextEventId('1000-2', 1001), '1000-2')).toBeGreaterThan(0);
  });
});
