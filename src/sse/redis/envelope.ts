import type { TopicEvent } from '../topic-event.interface.js';

/**
 * The messages on a topic's channel, composed by the publish scripts. Plain lines rather than JSON,
 * so the payload (JSON text) is not escaped and parsed a second time on every instance.
 *
 * - `1\n<id>\n<type>\n<publishedAt>\n<data>`: one event, the data to the end.
 * - `2\n<count>\n` then, per event, `<id>\n<type>\n<publishedAt>\n<length>\n<data>`: the events a
 *   batch stored, in id order, so that a subscriber receives and decodes them as one message.
 *   `<length>` is the data's length in UTF-16 code units (JavaScript's `length`, which the
 *   publisher sends along: Lua only counts bytes), so the data may hold any character.
 *
 * The batch script publishes version 1 when it stores one event, so that an instance of a version
 * that knows only version 1 still reads every single publish during a rolling deploy.
 */
export const ENVELOPE_VERSION = '1';
export const BATCH_ENVELOPE_VERSION = '2';

/** A message's events, in order; undefined for one this version cannot read. */
export function parseEnvelope(topic: string, message: string): TopicEvent[] | undefined {
  const cursor = { at: 0 };
  const version = nextLine(message, cursor);
  if (version === ENVELOPE_VERSION) {
    const event = parseHead(topic, message, cursor);
    if (!event) {
      return undefined;
    }
    event.data = message.slice(cursor.at);
    return [event];
  }
  if (version !== BATCH_ENVELOPE_VERSION) {
    return undefined;
  }
  const count = whole(nextLine(message, cursor));
  if (count < 1) {
    return undefined;
  }
  const events: TopicEvent[] = [];
  for (let i = 0; i < count; i++) {
    const event = parseHead(topic, message, cursor);
    const length = whole(nextLine(message, cursor));
    if (!event || length < 0) {
      return undefined;
    }
    const end = cursor.at + length;
    if (end > message.length) {
      return undefined;
    }
    event.data = message.slice(cursor.at, end);
    cursor.at = end;
    events.push(event);
  }
  return cursor.at === message.length ? events : undefined;
}

/** A line of decimal digits as a number; -1 for anything else. */
function whole(line: string | undefined): number {
  return line !== undefined && /^\d{1,15}$/.test(line) ? Number(line) : -1;
}

/** The line from `cursor.at`, moving the cursor past its newline; undefined if none ends it. */
function nextLine(message: string, cursor: { at: number }): string | undefined {
  const newline = message.indexOf('\n', cursor.at);
  if (newline < 0) {
    return undefined;
  }
  const line = message.slice(cursor.at, newline);
  cursor.at = newline + 1;
  return line;
}

/** An event's id, type and publishedAt lines; its data is the caller's to read. */
function parseHead(topic: string, message: string, cursor: { at: number }): TopicEvent | undefined {
  const id = nextLine(message, cursor);
  const type = nextLine(message, cursor);
  const at = Number(nextLine(message, cursor));
  if (id === undefined || type === undefined || !/^\d+-\d+$/.test(id) || !Number.isFinite(at)) {
    return undefined;
  }
  return { topic, id, type: type === '' ? undefined : type, data: '', publishedAt: at };
}
