import type { MessageEvent } from '@nestjs/common';
import type { DirectSink } from '../fanout/direct-sink.interface.js';
import type { SharedFrame } from '../wire/sse-frame.js';

export type { DirectSink } from '../fanout/direct-sink.interface.js';

/**
 * How a stream's replay keeps to its client's pace: history is sent a page at a time, and the next
 * page waits until the connection has room, so a resume costs the connection's bound plus one page
 * whatever the history holds.
 */
export interface StreamPacer {
  /**
   * Resolves once the bytes waiting for the client are back under the connection's bound (at once
   * when they are), or once the connection has ended.
   */
  whenWritable(): Promise<void>;
  /**
   * Runs `send`, which writes one page synchronously: its bytes are allowed on top of the bound
   * until the socket drains, so a client that reads is never dropped for a page it was sent.
   */
  page(send: () => void): void;
}

/** What Ripple's writer attaches to a hub stream: every connection paces, one-topic ones go direct. */
export type StreamWriter = DirectSink & StreamPacer;

/**
 * A writer that takes a whole stream over at its opening (see StreamControl.handOver): the stream
 * then sends it every message and its end itself, past the Observable.
 */
export interface StreamHolder extends StreamWriter {
  /** A message of the stream: the replay, a reset, a heartbeat, a live event not written directly. */
  send(message: MessageEvent): void;
  /**
   * A stored event of a one-topic stream (a replay, a held event), as its one-topic frame: the
   * bytes every such connection is sent, encoded once (FrameCache). Counted as delivered.
   */
  sendFrame(frame: SharedFrame, topic: string): void;
  /** The stream ended: drained at shutdown, its token expired, its transport ended or failed. */
  end(): void;
}

/**
 * What a hub stream offers the writer that sends it, on its opening message: Ripple's writer
 * attaches itself, so that the stream paces its replay, and (one-topic streams on a route that
 * allows it, see HubStream) its live events then skip the per-connection Observable chain (see
 * TopicChannel). The interceptors in between, all marked `@RippleFastPathSafe()`, still see every
 * other message and the end. Under Nest's own `@Sse()` nothing attaches: the replay is still read
 * a page at a time, but written unpaced.
 */
export interface StreamControl {
  attach(writer: StreamWriter): void;
  /** The connection's cursor now, including what was written to it directly. */
  cursor(): string;
  /**
   * Ends the stream when the wall clock reaches `at` (epoch ms): `onEnd` runs, `last(cursor)` is
   * its last message, then it completes. The timer is the stream's own and goes with it.
   */
  endAt(at: number, last: (cursor: string) => MessageEvent, onEnd?: () => void): void;
  /**
   * Attaches `holder` and, when the stream's route allows it (nothing between the handler and the
   * writer needs more than the opening, see HubStream), hands it the stream: every message and the
   * end go to the holder from now on, and the holder may leave the Observable, so that the request
   * pipeline behind it (Nest's handler chain, the interceptors, the operators) is let go while the
   * stream stays open. Returns whether it did; then the holder calls `close()` when it is done.
   */
  handOver(holder: StreamHolder): boolean;
  /** The holder of a handed-over stream is done with it (its client left, or was dropped). */
  close(): void;
}

/** When a stream ends itself, and how (StreamControl.endAt's arguments). */
export interface StreamExpiry {
  /** Epoch ms. */
  at: number;
  /** The stream's last message, given its cursor. */
  last: (cursor: string) => MessageEvent;
  onEnd?: () => void;
}

export const STREAM_CONTROL = Symbol('ripple.streamControl');

/** Not enumerable, so a copy of the message (`{ ...message }`) drops it. */
export function withStreamControl(message: MessageEvent, control: StreamControl): MessageEvent {
  return Object.defineProperty(message, STREAM_CONTROL, { value: control });
}

export function streamControlOf(message: MessageEvent): StreamControl | undefined {
  return (message as { [STREAM_CONTROL]?: StreamControl })[STREAM_CONTROL];
}
