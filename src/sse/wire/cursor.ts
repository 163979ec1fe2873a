import { isEventId } from './event-id.js';
import { isTopicName } from './topic-name.js';

/**
 * A cursor is the SSE `id:` of a connection: for every topic of the connection, the id of the last
 * event it has seen, as `topic=id` pairs joined by `,` (e.g. `clock=1764097200000-0,ticker=...`).
 * Neither `=` nor `,` can occur in a topic name or an event id, so the format needs no escaping,
 * and it reads well in a curl session.
 */
export type Cursor = ReadonlyMap<string, string>;

/** Past this a Last-Event-ID is refused unread: no honest client sends one this long. */
export const MAX_CURSOR_LENGTH = 16 * 1024;

export type CursorParse = { ok: true; cursor: Cursor } | { ok: false; reason: string };

export function encodeCursor(cursor: Cursor): string {
  let out = '';
  for (const [topic, id] of cursor) {
    out += out.length === 0 ? `${topic}=${id}` : `,${topic}=${id}`;
  }
  return out;
}

export function parseCursor(text: string): CursorParse {
  if (text.length > MAX_CURSOR_LENGTH) {
    return { ok: false, reason: `longer than ${MAX_CURSOR_LENGTH} characters` };
  }
  const cursor = new Map<string, string>();
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const topic = eq < 0 ? '' : pair.slice(0, eq);
    const id = eq < 0 ? '' : pair.slice(eq + 1);
    if (!isTopicName(topic) || !isEventId(id)) {
      return { ok: false, reason: 'not a list of topic=id pairs' };
    }
    if (cursor.has(topic)) {
      return { ok: false, reason: `topic ${topic} appears twice` };
    }
    cursor.set(topic, id);
  }
  return { ok: true, cursor };
}
