import { TopicCounts } from './topic-counts.js';

describe('TopicCounts', () => {
  it('labels the first topics it sees, and counts every later one under _other', () => {
    const counts = new TopicCounts(2);
    counts.of('a').published++;
    counts.of('b').delivered += 3;
    expect([...counts.entries()].map(([topic]) => topic)).toEqual(['a', 'b']);
    counts.of('c').published++;
    counts.of('d').delivered += 2;
    counts.of('a').published++;
    expect(Object.fromEntries(counts.entries())).toEqual({
      a: { published: 2, delivered: 0 },
      b: { published: 0, delivered: 3 },
      _other: { published: 1, delivered: 2 },
    });
  });

  it('puts everything under _other with a cap of 0', () => {
    const counts = new TopicCounts(0);
    expect(counts.of('a')).toBe(counts.of('b'));
    expect([...counts.entries()]).toEqual([]);
    counts.of('a').published++;
    expect([...counts.entries()]).toEqual([['_other', { published: 1, delivered: 0 }]]);
  });
});

describe('TopicCounts with private topics', () => {
  it('counts every private topic under _private, outside the cap, and never names one', () => {
    const counts = new TopicCounts(1, (topic) => topic.startsWith('private.'));
    counts.of('private.alice-123').published++;
    counts.of('private.bob-456').delivered += 2;
    counts.of('a').published++;
    counts.of('b').published++;
    expect(Object.fromEntries(counts.entries())).toEqual({
      a: { published: 1, delivered: 0 },
      _other: { published: 1, delivered: 0 },
      _private: { published: 1, delivered: 2 },
    });
  });
});
