import { BadRequestException } from '@nestjs/common';
import type { History, Recent } from '../history/history.interface.js';
import { BAD_RECENT } from '../sse.messages.js';
import type { CursorParse } from '../wire/cursor.js';

/** Digits only, no sign, no exponent: what a count or a time in ms is written as. */
const DECIMAL = /^(0|[1-9]\d{0,15})$/;

/**
 * `?last=N` and `?since=<ms>` of a stream: the recent history it opens with. Absent: undefined
 * (the stream opens live). Anything but a plain decimal is a 400.
 */
export function checkRecent(last: unknown, since: unknown): Recent | undefined {
  const recent: Recent = {};
  for (const [name, raw] of [
    ['last', last],
    ['since', since],
  ] as const) {
    if (raw === undefined) {
      continue;
    }
    if (typeof raw !== 'string' || !DECIMAL.test(raw)) {
      throw new BadRequestException(BAD_RECENT(name));
    }
    recent[name] = Number(raw);
  }
  return recent.last === undefined && recent.since === undefined ? undefined : recent;
}

/**
 * The cursor a stream opened with history resumes from: the client's own for the topics it names
 * (a resume beats history), and the start of the recent history for the others. The stream then
 * replays it as any resume, a page at a time and within the history kept: the same limits.
 */
export async function recentCursor(
  history: History,
  topics: readonly string[],
  start: CursorParse | undefined,
  recent: Recent,
): Promise<CursorParse | undefined> {
  if (start && !start.ok) {
    return start; // Malformed: those topics start live after a reset, as without history.
  }
  const cursor = new Map(start?.cursor);
  const fresh = topics.filter((topic) => !cursor.has(topic));
  const positions = await Promise.all(fresh.map((topic) => history.recentStart(topic, recent)));
  fresh.forEach((topic, i) => cursor.set(topic, positions[i]));
  return { ok: true, cursor };
}
