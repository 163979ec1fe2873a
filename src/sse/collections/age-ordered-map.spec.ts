import fc from 'fast-check';
import { AgeOrderedMap } from './age-ordered-map.js';

/** The same contract, the slow way: an array of entries, oldest first. */
class Reference {
  entries: [number, number][] = [];
  set(key: number, value: number): void {
    this.delete(key);
    this.entries.push([key, value]);
  }
  delete(key: number): boolean {
    const at = this.entries.findIndex(([k]) => k === key);
    if (at >= 0) this.entries.splice(at, 1);
    return at >= 0;
  }
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(40), value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(40) }),
  fc.record({ kind: fc.constant('deleteOldest' as const) }),
);

describe('AgeOrderedMap', () => {
  it('behaves as a Map whose set makes an entry the newest, oldest first', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const map = new AgeOrderedMap<number, number>();
        const ref = new Reference();
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, o.value);
            ref.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            expect(map.delete(o.key)).toBe(ref.delete(o.key));
          } else {
            const oldest = map.deleteOldest();
            const expected = ref.entries.shift();
            expect(oldest && [oldest.key, oldest.value]).toEqual(expected);
          }
          expect(map.size).toBe(ref.entries.length);
        }
        expect([...map.entries()]).toEqual(ref.entries);
        expect(map.oldest()?.key).toBe(ref.entries[0]?.[0]);
        for (const [key, value] of ref.entries) {
          expect(map.get(key)).toBe(value);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its age order within twice its size when one key is set over and over', () => {
    const map = new AgeOrderedMap<string, number>();
    map.set('other', 0);
    for (let i = 0; i < 100_000; i++) {
      map.set('hot', i);
    }
    expect(map.size).toBe(2);
    expect([...map.entries()]).toEqual([
      ['other', 0],
      ['hot', 99_999],
    ]);
    // The slots array is private: its bound shows as the compaction having kept up.
    expect((map as unknown as { order: unknown[] }).order.length).toBeLessThanOrEqual(1024);
  });

  it('sets the newest entry again in its own slot, its value new and the age order kept', () => {
    const map = new AgeOrderedMap<string, number>();
    map.set('a', 0);
    map.set('hot', 1);
    for (let i = 2; i < 50; i++) {
      map.set('hot', i);
    }
    // One slot per key: setting the newest entry again takes none.
    expect((map as unknown as { order: unknown[] }).order.length).toBe(2);
    expect(map.get('hot')).toBe(49);
    map.set('a', 50);
    expect([...map.entries()]).toEqual([
      ['hot', 49],
      ['a', 50],
    ]);
    // The newest deleted, then set again: a new entry, not the stale slot brought back.
    map.delete('a');
    map.set('a', 51);
    expect(map.deleteOldest()).toEqual({ key: 'hot', value: 49 });
    expect(map.deleteOldest()).toEqual({ key: 'a', value: 51 });
    expect(map.size).toBe(0);
  });
});
