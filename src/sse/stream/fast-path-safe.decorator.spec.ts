import { isFastPathSafe, RippleFastPathSafe } from './fast-path-safe.decorator.js';

@RippleFastPathSafe()
class Marked {}
class Unmarked {}
/** It may map what its parent let through: a mark is not inherited. */
class MarkedsChild extends Marked {}

describe('RippleFastPathSafe', () => {
  it('marks an interceptor given as a class or as an instance', () => {
    expect(isFastPathSafe(Marked)).toBe(true);
    expect(isFastPathSafe(new Marked())).toBe(true);
  });

  it('leaves every other interceptor unmarked, a subclass of a marked one included', () => {
    expect(isFastPathSafe(Unmarked)).toBe(false);
    expect(isFastPathSafe(new Unmarked())).toBe(false);
    expect(isFastPathSafe(MarkedsChild)).toBe(false);
    expect(isFastPathSafe(new MarkedsChild())).toBe(false);
    expect(isFastPathSafe({ intercept: () => undefined })).toBe(false);
  });
});
