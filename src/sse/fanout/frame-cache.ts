import { AgeOrderedMap } from '../collections/age-ordered-map.js';
import type { TopicEvent } from '../topic-event.interface.js';
import { sharedFrame, type SharedFrame } from '../wire/sse-frame.js';

/**
 * What one cached frame is counted as beyond its bytes: the two map entries, the SharedFrame and
 * its two Buffer views, and the key.
 */
const FRAME_OVERHEAD_BYTES = 200;

/**
 * The encoded one-topic frames of recent events, bounded by bytes, the oldest going first. A
 * one-topic frame is the same bytes for every connection (its cursor is `topic=id`), so the live
 * fan-out and every replay of the event share one encoding: in a reconnect storm, thousands of
 * clients resuming the same history are sent the same Buffers rather than each an encoding of its
 * own. Keyed by the event's cursor, not the object: a Redis history reads new objects each time.
 */
export class FrameCache {
  /** By cursor, oldest first: what the bound counts and evicts. */
  private readonly frames = new AgeOrderedMap<string, Cached>();
  /**
   * The same entries by the event object that was encoded: the memory history hands every stream
   * the same objects, found without building and hashing a key string per frame.
   */
  private readonly byEvent = new Map<TopicEvent, Cached>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes counted now; at most `maxBytes`. */
  get size(): number {
    return this.bytes;
  }

  frameOf(event: TopicEvent): SharedFrame {
    const known = this.byEvent.get(event);
    if (known) {
      return known.frame;
    }
    const key = `${event.topic}=${event.id}`;
    const cached = this.frames.get(key);
    if (cached) {
      return cached.frame;
    }
    const frame = sharedFrame(event);
    // The event is counted too: held here, it outlives its trimming from history.
    const cost = frame.chunked.length + key.length + event.data.length + FRAME_OVERHEAD_BYTES;
    if (cost > this.maxBytes) {
      return frame;
    }
    const entry: Cached = { frame, event, cost };
    this.frames.set(key, entry);
    this.byEvent.set(event, entry);
    this.bytes += cost;
    while (this.bytes > this.maxBytes) {
      const old = this.frames.deleteOldest();
      if (!old) {
        break;
      }
      this.byEvent.delete(old.value.event);
      this.bytes -= old.value.cost;
    }
    return frame;
  }
}

interface Cached {
  readonly frame: SharedFrame;
  /** The object it was encoded from (its key in `byEvent`). */
  readonly event: TopicEvent;
  readonly cost: number;
}
