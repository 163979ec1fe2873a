import type { SharedFrame } from '../wire/sse-frame.js';

/** Where a topic's fan-out writes a live event's shared frame: one connection's socket. */
export interface DirectSink {
  writeShared(frame: SharedFrame): void;
  /** Whether anything was written since the last call (the heartbeat's question). */
  takeWrote(): boolean;
}
