import { compareEventIds, isEventId, nextEventId } from '../wire/event-id.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { laterOf, type History, type HistoryRead, type Recent } from './history.interface.js';

/**
 * What one retained event is counted as, beyond its data and type: the event object, its id and
 * the bookkeeping around it (measured: about 195 bytes of heap per small event).
 */
export const EVENT_OVERHEAD_BYTES = 256;

/**
 * What one topic's log is counted as while it exists, beyond its name: its map entry, the log and
 * its arrays (measured: about 300 bytes of heap). Counted, so that many topics of small events are
 * bounded too.
 */
export const TOPIC_OVERHEAD_BYTES = 512;

/**
 * Pages a topic's log keeps while it is unchanged, by the position read after (see TopicLog.read):
 * a few, since what a storm of resumes reads is a few cursors, the same for thousands of clients.
 */
const PAGES_KEPT = 16;

/** One retained event, in its topic's log and in the history's age order at once. */
interface Entry {
  readonly event: TopicEvent;
  readonly bytes: number;
  /** Trimmed from its topic by the per-topic size; still in the age order until it is passed. */
  dropped: boolean;
}

/** The bytes an event is counted as: its data and type (characters) and the fixed overhead. */
export function eventBytes(event: OutgoingEvent): number {
  return event.data.length + (event.type?.length ?? 0) + EVENT_OVERHEAD_BYTES;
}

/** An array used as a queue: taken from the front, compacted now and then. */
class Window<T> {
  /** Taken items are cleared, so that what was taken is not kept alive until the compaction. */
  private items: (T | undefined)[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  push(item: T): void {
    this.items.push(item);
  }

  first(): T | undefined {
    return this.items[this.start];
  }

  shift(): T | undefined {
    const item = this.items[this.start];
    if (item === undefined) {
      return undefined;
    }
    this.items[this.start] = undefined;
    this.start++;
    // Compact once the dead prefix is as long as the window: amortised O(1) per shift.
    if (this.start >= 16 && this.start * 2 >= this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return item;
  }

  /**
   * Binary search: up to `limit` of the items after the last one for which `atOrBefore` holds
   * (they are sorted), and whether more follow.
   */
  after(atOrBefore: (item: T) => boolean, limit: number): { items: T[]; more: boolean } {
    const lo = this.boundary(atOrBefore);
    const end = Math.min(lo + limit, this.items.length);
    return { items: this.items.slice(lo, end) as T[], more: end < this.items.length };
  }

  /** The index of the first item for which `atOrBefore` no longer holds (they are sorted). */
  private boundary(atOrBefore: (item: T) => boolean): number {
    let lo = this.start;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (atOrBefore(this.items[mid]!)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The item `back` places before the end (1: the last), if the window holds that many. */
  fromEnd(back: number): T | undefined {
    return back >= 1 && back <= this.length ? this.items[this.items.length - back] : undefined;
  }

  /** The last item for which `before` holds (they are sorted). */
  lastWhere(before: (item: T) => boolean): T | undefined {
    const lo = this.boundary(before);
    return lo > this.start ? this.items[lo - 1] : undefined;
  }

  /** Keeps only the items for which `keep` holds, in order. */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.start).filter((item) => keep(item!));
    this.start = 0;
  }
}

/** One topic's retained events. */
class TopicLog {
  readonly entries = new Window<Entry>();
  /** What the log itself is counted as. */
  readonly bytes: number;
  /** The id just before the oldest retained event: the last one dropped, or where the log began. */
  base: string;
  last: string;

  constructor(topic: string, start: string) {
    this.base = start;
    this.last = start;
    this.bytes = TOPIC_OVERHEAD_BYTES + topic.length;
  }

  /**
   * The pages read since the log last changed (an append, a drop), each as its read gave it, for
   * one limit: a storm of clients resuming from the same few cursors reads each page once rather
   * than searching, slicing and copying it per client. A read resolves to the same object for all
   * of them (shared, as SharedReads' are: read it, never change it).
   */
  private pages = new Map<string, Promise<HistoryRead>>();
  private pagesLimit = 0;

  /** An event was appended: what was read before does not have it. */
  appended(entry: Entry): void {
    this.entries.push(entry);
    this.last = entry.event.id;
    this.forgetPages();
  }

  /** Drops the oldest entry; its id becomes the base. */
  dropOldest(): Entry | undefined {
    const entry = this.entries.shift();
    if (entry) {
      entry.dropped = true;
      this.base = entry.event.id;
      this.forgetPages();
    }
    return entry;
  }

  /** The read of up to `limit` events after `id` (a position at or after the base). */
  read(id: string, limit: number): Promise<HistoryRead> {
    if (limit !== this.pagesLimit) {
      this.forgetPages();
      this.pagesLimit = limit;
    }
    let read = this.pages.get(id);
    if (read === undefined) {
      if (this.pages.size >= PAGES_KEPT) {
        this.pages.clear();
      }
      read = Promise.resolve({ ...this.after(id, limit), head: this.last });
      this.pages.set(id, read);
    }
    return read;
  }

  private forgetPages(): void {
    if (this.pages.size > 0) {
      this.pages.clear();
    }
  }

  /** The position just before the recent events asked for: the base when all are asked. */
  recentStart({ last, since }: Recent): string {
    let from = this.base;
    if (last !== undefined) {
      from = laterOf(from, this.entries.fromEnd(last + 1)?.event.id ?? from);
    }
    if (since !== undefined) {
      const before = this.entries.lastWhere((entry) => entry.event.publishedAt < since);
      from = laterOf(from, before?.event.id ?? from);
    }
    return from;
  }

  after(id: string, limit: number): { events: TopicEvent[]; more: boolean } {
    const page = this.entries.after((entry) => compareEventIds(entry.event.id, id) <= 0, limit);
    return { events: page.items.map((entry) => entry.event), more: page.more };
  }
}

/**
 * History in this process, bounded twice: `historySize` events per topic, and `maxBytes` across
 * all topics (each event counted as its data, type and a fixed overhead, each topic's log as a
 * fixed overhead), past which the oldest events of any topic go first. A topic whose events are
 * all gone and that nobody is subscribed to is forgotten altogether, so topics used once leave
 * nothing behind.
 *
 * Ids grow across all topics (one last id for the history), so what has been evicted is known by
 * one figure: `forgotten`, the newest last id of a topic forgotten. A topic without a log has no
 * event after it; a position of such a topic at or after it misses nothing, one before it may
 * have missed what was evicted and is answered `trimmed` (never a silent gap, and never
 * `unknown-position` for a position this history gave).
 *
 * Ids start above a floor taken from the clock at start, so a cursor issued before a restart is
 * recognised as one whose events are gone, rather than taken as a position in the new history.
 */
export class MemoryHistory implements History {
  private readonly logs = new Map<string, TopicLog>();
  private readonly floor = `${Date.now()}-0`;
  /**
   * The last id given, across all topics: ids grow in publish order over the whole process, so
   * a resume of several topics merged by id replays them in the order they were published.
   */
  private lastId = this.floor;
  /** The newest last id of a topic log forgotten: a topic without a log lost nothing after it. */
  private forgotten = this.floor;
  /** Every retained entry, oldest first (with entries already dropped, skipped when reached). */
  private readonly age = new Window<Entry>();
  private droppedInAge = 0;
  /** Topics with a subscriber on this instance: their log is kept even when empty. */
  private readonly subscribed = new Set<string>();
  private accounted = 0;

  constructor(
    private readonly historySize: number,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** Bytes counted now: retained events and topic logs; at most `maxBytes` after each append. */
  get bytes(): number {
    return this.accounted;
  }

  /** Topic logs held now. */
  get topicCount(): number {
    return this.logs.size;
  }

  /** Stores an event and gives it its id. Only the memory transport writes here. */
  append(topic: string, event: OutgoingEvent, now = Date.now()): TopicEvent {
    const log = this.logs.get(topic) ?? this.open(topic);
    const stored: TopicEvent = {
      topic,
      id: nextEventId(this.lastId, now),
      type: event.type,
      data: event.data,
      publishedAt: now,
    };
    this.lastId = stored.id;
    const entry: Entry = { event: stored, bytes: eventBytes(stored), dropped: false };
    log.appended(entry);
    this.age.push(entry);
    this.accounted += entry.bytes;
    if (log.entries.length > this.historySize) {
      this.accounted -= log.dropOldest()!.bytes;
      this.droppedInAge++;
    }
    this.evict();
    return stored;
  }

  /** A subscriber of `topic` arrived on this instance: its log stays while it is there. */
  subscribe(topic: string): void {
    this.subscribed.add(topic);
  }

  /** The last subscriber of `topic` left: an empty log is forgotten now. */
  unsubscribe(topic: string): void {
    this.subscribed.delete(topic);
    const log = this.logs.get(topic);
    if (log && log.entries.length === 0) {
      this.forget(topic, log);
    }
  }

  head(topic: string): Promise<string> {
    return Promise.resolve(this.logs.get(topic)?.last ?? this.lastId);
  }

  readAfter(topic: string, after: string, limit: number): Promise<HistoryRead> {
    const log = this.logs.get(topic);
    const base = log?.base ?? this.forgotten;
    const head = log?.last ?? this.lastId;
    if (
      !isEventId(after) ||
      compareEventIds(after, head) > 0 ||
      compareEventIds(after, this.floor) < 0
    ) {
      return Promise.resolve({ events: [], more: false, head, gap: 'unknown-position' });
    }
    if (compareEventIds(after, base) < 0) {
      return Promise.resolve({ events: [], more: false, head, gap: 'trimmed' });
    }
    return log ? log.read(after, limit) : Promise.resolve({ events: [], more: false, head });
  }

  recentStart(topic: string, recent: Recent): Promise<string> {
    const log = this.logs.get(topic);
    return Promise.resolve(log ? log.recentStart(recent) : this.lastId);
  }

  /**
   * A new log begins where a topic without one stands: nothing after `forgotten` was evicted from
   * it (see the class).
   */
  private open(topic: string): TopicLog {
    const log = new TopicLog(topic, this.forgotten);
    this.logs.set(topic, log);
    this.accounted += log.bytes;
    return log;
  }

  private forget(topic: string, log: TopicLog): void {
    this.logs.delete(topic);
    this.accounted -= log.bytes;
    if (compareEventIds(log.last, this.forgotten) > 0) {
      this.forgotten = log.last;
    }
  }

  /** Drops the oldest events of any topic until the count is within the bound. */
  private evict(): void {
    while (this.accounted > this.maxBytes) {
      const entry = this.age.shift();
      if (!entry) {
        // Only the logs of subscribed topics are left, each empty: bounded by the streams.
        break;
      }
      if (entry.dropped) {
        this.droppedInAge--;
        continue;
      }
      const topic = entry.event.topic;
      const log = this.logs.get(topic);
      // Ids grow across topics: the oldest retained entry is the oldest of its topic's.
      if (log?.entries.first() !== entry) {
        continue;
      }
      log.dropOldest();
      this.accounted -= entry.bytes;
      if (log.entries.length === 0 && !this.subscribed.has(topic)) {
        this.forget(topic, log);
      }
    }
    // Entries dropped by the per-topic size wait in the age order until reached; once they are
    // most of it, they go, so that it never holds more than twice what is retained.
    if (this.droppedInAge > 1024 && this.droppedInAge * 2 > this.age.length) {
      this.age.retain((entry) => !entry.dropped);
      this.droppedInAge = 0;
    }
  }
}
