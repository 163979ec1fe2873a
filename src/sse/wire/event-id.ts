/**
 * Event ids have the shape of Redis stream ids, `<ms>-<seq>`, in the memory history too, so one
 * comparison serves both and a cursor issued by either can be checked by the other.
 */
export const ORIGIN_ID = '0-0';

const EVENT_ID = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;

/**
 * The largest part Redis can hold (uint64). Twenty digits can write more: such an id names no
 * position in any history, and Redis refuses it outright (XRANGE errors), so it is no id at all.
 */
export const MAX_ID_PART = '18446744073709551615';

export function isEventId(value: string): boolean {
  const match = EVENT_ID.exec(value);
  return (
    match !== null &&
    compareDecimal(match[1], MAX_ID_PART) <= 0 &&
    compareDecimal(match[2], MAX_ID_PART) <= 0
  );
}

/** Compares canonical decimal strings without converting them, so 64-bit values stay exact. */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) {
    return a.length < b.length ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two valid event ids: negative, zero or positive, as `Array.prototype.sort` wants. */
export function compareEventIds(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return (
    compareDecimal(a.slice(0, dashA), b.slice(0, dashB)) ||
    compareDecimal(a.slice(dashA + 1), b.slice(dashB + 1))
  );
}

/**
 * The id that follows `last` at time `now`: the clock's millisecond when it has moved on, else the
 * next sequence number within the last id's millisecond (so ids grow even if the clock goes back).
 */
export function nextEventId(last: string, now: number): string {
  const dash = last.indexOf('-');
  const lastMs = Number(last.slice(0, dash));
  if (now > lastMs) {
    return `${now}-0`;
  }
  return `${last.slice(0, dash)}-${Number(last.slice(dash + 1)) + 1}`;
}
