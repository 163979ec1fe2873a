import type { TopicEvent } from '../topic-event.interface.js';
import { sharedFrame, type SharedFrame } from './sse-frame.js';

/**
 * What one cached frame is counted as beyond its bytes: the map entry, the SharedFrame and its
 * two Buffer views, and the key.
 */
const FRAME_OVERHEAD_BYTES = 160;

/**
 * The encoded one-topic frames of recent events, bounded by bytes, the oldest going first. A
 * one-topic frame is the same bytes for every connection (its cursor is `topic=id`), so the live
 * fan-out and every replay of the event share one encoding: in a reconnect storm, thousands of
 * clients resuming the same history are sent the same Buffers rather than each an encoding of its
 * own. Keyed by the event's cursor, not the object: a Redis history reads new objects each time.
 */
export class FrameCache {
  private readonly frames = new Map<string, SharedFrame>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes counted now; at most `maxBytes`. */
  get size(): number {
    return this.bytes;
  }

  frameOf(event: TopicEvent): SharedFrame {
    const key = `${event.topic}=${event.id}`;
    const cached = this.frames.get(key);
    if (cached) {
      return cached;
    }
    const frame = sharedFrame(event);
    const cost = costOf(frame);
    if (cost > this.maxBytes) {
      return frame;
    }
    this.frames.set(key, frame);
    this.bytes += cost;
    // Insertion order is age order: the first key is the oldest frame.
    for (const [oldKey, old] of this.frames) {
      if (this.bytes <= this.maxBytes) {
        break;
      }
      this.frames.delete(oldKey);
      this.bytes -= costOf(old);
    }
    return frame;
  }
}

function costOf(frame: SharedFrame): number {
  return frame.chunked.length + frame.cursor.length + FRAME_OVERHEAD_BYTES;
}
