import { isTopicPattern, matchesAnyPattern, matchesTopicPattern } from './topic-pattern.js';

describe('topic patterns', () => {
  it.each([
    ['news', 'news'],
    ['*', 'news'],
    ['*', 'a'],
    ['private.*', 'private.alice'],
    ['private.*', 'private.'],
    ['private.*', 'private.a.b.c'],
    ['*.private', 'alice.private'],
    ['*.private', '0.private'],
    ['a*b', 'ab'],
    ['a*b', 'aXYZb'],
    ['a*b*c', 'a-b-b-c'],
    ['*a*', 'banana'],
    ['**', 'x'],
    ['user:*:inbox', 'user:42:inbox'],
    ['user:*:inbox', 'user::inbox'],
    ['*-*', 'a-b'],
  ])('%s matches %s', (pattern, topic) => {
    expect(matchesTopicPattern(pattern, topic)).toBe(true);
  });

  it.each([
    ['news', 'news2'],
    ['news', 'new'],
    ['News', 'news'],
    ['private.*', 'private'],
    ['private.*', 'privateX'],
    ['private.*', 'public.alice'],
    ['*.private', 'alice.privat'],
    ['a*b', 'aXbY'],
    ['user:*:inbox', 'user:42:outbox'],
    ['a*b*c', 'a-c-b'],
  ])('%s does not match %s', (pattern, topic) => {
    expect(matchesTopicPattern(pattern, topic)).toBe(false);
  });

  it('treats every character but * literally: no regular-expression syntax leaks in', () => {
    expect(matchesTopicPattern('a.b', 'aXb')).toBe(false);
    expect(matchesTopicPattern('a.b', 'a.b')).toBe(true);
    for (const pattern of ['(a+)+', 'a|b', '[a-z]', 'a?', '^a$', 'a\\', 'a{1}', 'a+', 'a$']) {
      expect(isTopicPattern(pattern)).toBe(false);
    }
    expect(matchesTopicPattern('.*', 'anything')).toBe(false);
    expect(matchesTopicPattern('0.*', '0.anything')).toBe(true);
    expect(matchesTopicPattern('a|b', 'a')).toBe(false);
    expect(matchesTopicPattern('[a-z]', 'a')).toBe(false);
    expect(matchesTopicPattern('(a+)+', 'aaaa')).toBe(false);
  });

  it('matches only topic names: * never stands for characters a topic cannot hold', () => {
    expect(matchesTopicPattern('*', '')).toBe(false);
    expect(matchesTopicPattern('a*', 'a b')).toBe(false);
    expect(matchesTopicPattern('a*', 'a/b')).toBe(false);
    expect(matchesTopicPattern('a*', 'a\nb')).toBe(false);
    expect(matchesTopicPattern('*', 'x'.repeat(129))).toBe(false);
  });

  it('refuses malformed patterns', () => {
    expect(isTopicPattern('')).toBe(false);
    expect(isTopicPattern('a b')).toBe(false);
    expect(isTopicPattern('x'.repeat(129))).toBe(false);
    expect(isTopicPattern('*')).toBe(true);
    expect(isTopicPattern('*.private')).toBe(true);
    expect(matchesTopicPattern('', 'a')).toBe(false);
    expect(matchesTopicPattern('a b', 'a b')).toBe(false);
  });

  it('stays fast on patterns that make a backtracking regex explode', () => {
    const topic = 'a'.repeat(128);
    const pattern = `${'*a'.repeat(30)}*b`;
    const started = performance.now();
    expect(matchesTopicPattern(pattern, topic)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('matches a topic against a list of patterns', () => {
    expect(matchesAnyPattern(['a.*', 'b'], 'b')).toBe(true);
    expect(matchesAnyPattern(['a.*', 'b'], 'a.x')).toBe(true);
    expect(matchesAnyPattern(['a.*', 'b'], 'c')).toBe(false);
    expect(matchesAnyPattern([], 'c')).toBe(false);
  });
});
