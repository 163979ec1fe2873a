import { isTopicName } from '../wire/topic-name.js';

/**
 * Topic patterns, as grants and `RIPPLE_PRIVATE_TOPICS` write them: a topic name in which `*`
 * stands for any run of topic characters, including none (`orders.*`, `*.private`, `*`). Matching
 * is a plain glob walk over the two strings: no regular expression is built from a pattern, so a
 * pattern can neither inject syntax nor take exponential time.
 */

export const WILDCARD = '*';

const PATTERN = /^[A-Za-z0-9._:*-]{1,128}$/;

/** Whether `value` is a well-formed pattern: 1 to 128 topic characters or `*`. */
export function isTopicPattern(value: string): boolean {
  return PATTERN.test(value);
}

/** Whether `topic` matches `pattern`. A malformed pattern or topic name matches nothing. */
export function matchesTopicPattern(pattern: string, topic: string): boolean {
  if (!isTopicPattern(pattern) || !isTopicName(topic)) {
    return false;
  }
  let p = 0;
  let t = 0;
  // Where the last `*` was, and where in the topic it would next try to stop.
  let star = -1;
  let resume = 0;
  while (t < topic.length) {
    if (pattern[p] === WILDCARD) {
      star = p++;
      resume = t;
    } else if (p < pattern.length && pattern[p] === topic[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      // Let the last `*` take one more character, and try the rest of the pattern from there.
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === WILDCARD) {
    p++;
  }
  return p === pattern.length;
}

/** Whether any of `patterns` matches `topic`. */
export function matchesAnyPattern(patterns: readonly string[], topic: string): boolean {
  return patterns.some((pattern) => matchesTopicPattern(pattern, topic));
}
