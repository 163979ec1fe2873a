import { SSE_DEFAULTS } from '../sse.constants.js';
import { TopicStats } from './topic-stats.service.js';

const stats = (maxTrackedTopics: number) =>
  new TopicStats({
    ...SSE_DEFAULTS,
    maxTrackedTopics,
    auth: { ...SSE_DEFAULTS.auth, privateTopics: ['private.*'] },
  });
const names = (s: TopicStats, now: number, mayRead?: (topic: string) => boolean) =>
  s.list(mayRead, now).topics.map((t) => t.topic);

describe('TopicStats', () => {
  it('keeps at most the cap, forgetting the least recently active topic nobody reads', () => {
    const s = stats(3);
    s.published('a', 1000);
    s.published('b', 1001);
    s.published('c', 1002);
    s.published('a', 1003);
    s.published('d', 1004);
    expect(s.size).toBe(3);
    expect(names(s, 1005)).toEqual(['a', 'c', 'd']);
    expect(s.list(undefined, 1005).untracked).toBe(0);
  });

  it('never forgets a subscribed or described topic; when all are in use, counts new ones as untracked', () => {
    const s = stats(2);
    s.subscribed('a', 1, 1000);
    s.describe('clock', { producer: 'clock' }, 1001);
    s.published('x', 1002);
    s.subscribed('y', 1, 1003);
    expect(s.size).toBe(2);
    const list = s.list(undefined, 1004);
    expect(list.topics.map((t) => t.topic)).toEqual(['a', 'clock']);
    expect(list.untracked).toBe(2);
    // A leaving subscriber of an untracked topic changes nothing; one of a tracked topic frees it.
    s.subscribed('y', -1, 1005);
    s.subscribed('a', -1, 1006);
    s.published('z', 1007);
    expect(names(s, 3000)).toEqual(['clock', 'z']);
    // A producer's topic is tracked whatever the cap.
    s.subscribed('z', 1, 3001);
    s.describe('ticker', { producer: 'ticker' }, 3002);
    expect(s.size).toBe(3);
  });

  it('never counts fewer than 0 subscribers', () => {
    const s = stats(1);
    s.subscribed('busy', 1, 1000);
    s.subscribed('late', 1, 1001); // untracked: the one entry is in use
    s.subscribed('busy', -1, 1002);
    s.subscribed('late', -1, 1003);
    expect(s.list(undefined, 1004).topics).toEqual([
      expect.objectContaining({ topic: 'busy', subscribers: 0 }),
    ]);
  });

  it('forgets idle topics after five minutes, and renders the list at most once a second', () => {
    const s = stats(10);
    s.published('old', 0);
    s.published('new', 200_000);
    expect(names(s, 300_000)).toEqual(['new', 'old']);
    s.published('newer', 300_500);
    // Within a second of the last rendering: the same list.
    expect(names(s, 300_900)).toEqual(['new', 'old']);
    expect(names(s, 301_000)).toEqual(['new', 'newer']);
    expect(s.size).toBe(2);
  });

  it('lists private topics only to those who may read them', () => {
    const s = stats(10);
    s.subscribed('private.alice-123', 1, 1000);
    s.subscribed('private.bob-456', 1, 1000);
    s.published('news', 1000);
    expect(names(s, 1001)).toEqual(['news']);
    expect(names(s, 1002, (topic) => topic === 'private.alice-123')).toEqual([
      'news',
      'private.alice-123',
    ]);
  });
});
