import type { MessageEvent } from '@nestjs/common';
import type { SharedFrame } from '../wire/sse-frame.js';

/** Where a topic's fan-out writes a live event's shared frame: one connection's socket. */
export interface DirectSink {
  writeShared(frame: SharedFrame): void;
  /** Whether anything was written since the last call (the heartbeat's question). */
  takeWrote(): boolean;
}

/**
 * What a hub stream offers the writer that sends it, on its opening message: Ripple's writer
 * attaches a sink, and the stream's live events then skip the per-connection Observable chain
 * (see TopicChannel). Interceptors in between still see every other message and the end.
 */
export interface StreamControl {
  attach(sink: DirectSink): void;
  /** The connection's cursor now, including what was written to it directly. */
  cursor(): string;
}

export const STREAM_CONTROL = Symbol('ripple.streamControl');

/** Not enumerable, so a copy of the message (`{ ...message }`) drops it. */
export function withStreamControl(message: MessageEvent, control: StreamControl): MessageEvent {
  return Object.defineProperty(message, STREAM_CONTROL, { value: control });
}

export function streamControlOf(message: MessageEvent): StreamControl | undefined {
  return (message as { [STREAM_CONTROL]?: StreamControl })[STREAM_CONTROL];
}
