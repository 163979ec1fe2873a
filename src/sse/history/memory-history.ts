import { compareEventIds, isEventId, nextEventId } from '../wire/event-id.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import type { History, HistoryRead } from './history.interface.js';

/** One topic's retained events: a window over an array that is compacted now and then. */
class TopicLog {
  private events: TopicEvent[] = [];
  private start = 0;
  /** The id just before the oldest retained event: the last one trimmed, or the history's floor. */
  base: string;
  last: string;

  constructor(floor: string) {
    this.base = floor;
    this.last = floor;
  }

  append(event: TopicEvent, capacity: number): void {
    this.events.push(event);
    this.last = event.id;
    if (this.events.length - this.start > capacity) {
      this.base = this.events[this.start].id;
      this.start++;
      // Compact once the dead prefix is as long as the window: amortised O(1) per append.
      if (this.start >= capacity) {
        this.events = this.events.slice(this.start);
        this.start = 0;
      }
    }
  }

  after(id: string, limit: number): { events: TopicEvent[]; more: boolean } {
    // Binary search: ids grow along the array.
    let lo = this.start;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEventIds(this.events[mid].id, id) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const end = Math.min(lo + limit, this.events.length);
    return { events: this.events.slice(lo, end), more: end < this.events.length };
  }
}

/**
 * History in this process. Ids start above a floor taken from the clock at start, so a cursor
 * issued before a restart is recognised as one whose events are gone, rather than taken as a
 * position in the new history.
 */
export class MemoryHistory implements History {
  private readonly logs = new Map<string, TopicLog>();
  private readonly floor = `${Date.now()}-0`;
  /**
   * The last id given, across all topics: ids grow in publish order over the whole process, so
   * a resume of several topics merged by id replays them in the order they were published.
   */
  private last = this.floor;

  constructor(private readonly historySize: number) {}

  /** Stores an event and gives it its id. Only the memory transport writes here. */
  append(topic: string, event: OutgoingEvent, now = Date.now()): TopicEvent {
    let log = this.logs.get(topic);
    if (!log) {
      log = new TopicLog(this.floor);
      this.logs.set(topic, log);
    }
    const stored: TopicEvent = {
      topic,
      id: nextEventId(this.last, now),
      type: event.type,
      data: event.data,
      publishedAt: now,
    };
    this.last = stored.id;
    log.append(stored, this.historySize);
    return stored;
  }

  head(topic: string): Promise<string> {
    return Promise.resolve(this.logs.get(topic)?.last ?? this.floor);
  }

  readAfter(topic: string, after: string, limit: number): Promise<HistoryRead> {
    const log = this.logs.get(topic);
    const base = log?.base ?? this.floor;
    const head = log?.last ?? this.floor;
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
    return Promise.resolve({ ...(log?.after(after, limit) ?? { events: [], more: false }), head });
  }
}
