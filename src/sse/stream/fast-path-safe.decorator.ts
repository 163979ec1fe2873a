import { SetMetadata } from '@nestjs/common';

const FAST_PATH_SAFE = 'ripple:fast-path-safe';

/**
 * Marks an interceptor that does not need each live event of the streams it wraps: one that acts
 * on the opening, the end or errors (logging, timing, auth), not one that maps, filters or counts
 * events. Between a `@RippleSse()` handler and Ripple's writer, only marked interceptors leave a
 * one-topic stream's live events free to skip the Observable (see `RippleSse`); a marked one
 * still sees the opening, the replay, control messages, heartbeats and the end.
 */
export const RippleFastPathSafe = (): ClassDecorator => SetMetadata(FAST_PATH_SAFE, true);

/**
 * Whether `interceptor`, a class or an instance as `@UseInterceptors()` takes them, is marked.
 * Its own class only: a subclass may map what its parent let through.
 */
export function isFastPathSafe(interceptor: unknown): boolean {
  return hasOwnMark(interceptor, FAST_PATH_SAFE);
}

function hasOwnMark(interceptor: unknown, mark: string): boolean {
  const type: unknown =
    typeof interceptor === 'function' ? interceptor : (interceptor as object | null)?.constructor;
  return typeof type === 'function' && Reflect.getOwnMetadata(mark, type) === true;
}
