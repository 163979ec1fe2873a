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

/**
 * Orders two valid event ids: negative, zero or positive, as `Array.prototype.sort` wants. Read in
 * place, without cutting the ids into parts: a replay compares ids for every event it merges and
 * every page it looks up, thousands of times in a reconnect storm.
 */
export function compareEventIds(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  // Canonical decimals (no leading zeros): the longer millisecond part is the larger one.
  if (dashA !== dashB) {
    return dashA < dashB ? -1 : 1;
  }
  return (
    compareDigits(a, b, 0, 0, dashA) ||
    (a.length - dashA !== b.length - dashB
      ? a.length - dashA < b.length - dashB
        ? -1
        : 1
      : compareDigits(a, b, dashA + 1, dashB + 1, a.length - dashA - 1))
  );
}

/** Compares `length` characters of `a` from `atA` with as many of `b` from `atB`: -1, 0 or 1. */
function compareDigits(a: string, b: string, atA: number, atB: number, length: number): number {
  for (let i = 0; i < length; i++) {
    const d = a.charCodeAt(atA + i) - b.charCodeAt(atB + i);
    if (d !== 0) {
      return d < 0 ? -1 : 1;
    }
  }
  return 0;
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
