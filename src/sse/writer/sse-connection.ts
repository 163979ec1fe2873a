import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { MessageEvent } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import type { StreamEndReason } from '../metrics/sse-metrics.interface.js';
import { streamControlOf, type StreamWriter } from '../stream/stream-control.js';
import { HEARTBEAT, SOURCE_EVENT, type TopicMessage } from '../wire/message-event.js';
import { CHUNK_END, chunkHead, frameBytes, type SharedFrame } from '../wire/sse-frame.js';

import type { DropReason } from '../flow/flow-stats.service.js';

export type { DropReason };

/** What a connection tells the writer that made it. */
export interface SseConnectionEvents {
  /** The client was dropped for its backlog (`ended` follows). */
  dropped(reason: DropReason, backlogBytes: number): void;
  /**
   * The stream ended, once: `client`, a drop, `max-age`, or `server-end` when its source ended
   * or failed (the writer knows whether that was the drain or a token's expiry).
   */
  ended(reason: StreamEndReason): void;
  /** A stored event went out here rather than through its topic's fan-out, which counts its own. */
  delivered(topic: string): void;
}

export interface SseConnectionLimits {
  /** Bytes accepted for this client but not yet written to its socket; past it, it is dropped. */
  maxBufferBytes: number;
  /** How long the socket may stay full before the connection is dropped. */
  writeTimeoutMs: number;
  /** The stream ends (cleanly, the client reconnects) after this long; 0 for never. */
  maxAgeMs: number;
}

/**
 * One client's event stream, written by Ripple rather than by Nest: frames go straight to the
 * socket, already framed as HTTP/1.1 chunks where they are shared, and each socket is corked
 * for the rest of the event loop's turn, so a burst leaves in one write per socket.
 *
 * Nest still owns the response: it gets `body`, a Readable with no data that ends when the
 * stream does, and pipes it into the response, which ends the response then.
 *
 * The backlog is what waits in the socket, and it is bounded: a client that does not read is
 * dropped, and resumes from its cursor when it comes back. Memory stays flat whatever a client does.
 */
export class SseConnection implements StreamWriter {
  readonly body = new Readable({ read: () => undefined });
  /** Set once the headers are out and nothing of the response waits in Node: write to it here. */
  private socket: Socket | null = null;
  private chunked = false;
  private opened = false;
  private corked = false;
  private wrote = false;
  private done = false;
  private subscription?: Subscription;
  private stallTimer?: NodeJS.Timeout;
  private ageTimer?: NodeJS.Timeout;
  /**
   * Bytes of the last page a replay wrote, allowed on top of the bound until the socket drains:
   * the page went out when the backlog was under the bound, and its client is not slow for that.
   * A replay writes its next page only once the backlog is back under the bound (`whenWritable`),
   * so a resuming client costs at most the bound plus one page.
   */
  private pageAllowance = 0;
  /** Set while a page is being written. */
  private inPage = false;
  /** Replays waiting for room: resolved on the socket's drain, or when the connection ends. */
  private readonly waitingForRoom = new Set<() => void>();
  private endReason?: StreamEndReason;

  constructor(
    private readonly response: ServerResponse,
    private readonly limits: SseConnectionLimits,
    private readonly events: SseConnectionEvents,
  ) {
    // Closed before any other end: the client went away (the writer destroys the body then).
    this.body.once('close', () => {
      this.end('client');
      this.release();
    });
  }

  /**
   * Starts reading `source`. `onStarted` is called before its first frame is written (it sends
   * the headers), or at its end if it had none; `onError` if it fails, before or after.
   */
  start(
    source: Observable<MessageEvent>,
    onStarted: () => void,
    onError: (err: unknown) => void,
  ): void {
    // The client may be gone already: nothing is subscribed for it then.
    if (this.done) {
      return;
    }
    this.subscription = source.subscribe({
      next: (message) => {
        if (!this.opened) {
          onStarted();
          // Ended as it started (a HEAD), or by a client that left meanwhile.
          if (this.done) {
            return;
          }
          streamControlOf(message)?.attach(this);
        }
        this.writeMessage(message);
      },
      error: (err: unknown) => {
        onError(err);
        this.finish('server-end');
      },
      complete: () => {
        onStarted();
        this.finish('server-end');
      },
    });
    if (this.done) {
      // It ended while being subscribed (a drop in the replay, a source that failed at once),
      // when there was no subscription yet to release.
      this.subscription.unsubscribe();
      return;
    }
    if (this.limits.maxAgeMs > 0) {
      this.ageTimer = setTimeout(() => this.finish('max-age'), this.limits.maxAgeMs);
    }
  }

  /** Sends the headers. Ripple writes to the socket itself when Node holds nothing back. */
  open(): void {
    if (this.opened) {
      return;
    }
    this.opened = true;
    const response = this.response;
    response.flushHeaders();
    const socket = response.socket;
    // Anything Node still holds (a response queued behind a pipelined one) must go first:
    // then Ripple writes through the response, which keeps the order.
    if (socket && response.writableLength === socket.writableLength) {
      this.socket = socket;
      this.chunked = (response as ServerResponse & { chunkedEncoding: boolean }).chunkedEncoding;
    }
  }

  /** The client hung up: the stream ends now, whatever point it had reached. */
  clientLeft(): void {
    this.end('client');
    this.release();
    this.body.destroy();
  }

  /** Ends the stream at its first frame, its checks passed, with nothing written: a HEAD. */
  endEmpty(): void {
    this.finish('server-end');
  }

  /** How many bytes wait for this client, in Node and in its socket. */
  get backlogBytes(): number {
    return this.response.writableLength;
  }

  /** The hot path: a live event's frame, encoded once for every one-topic connection. */
  writeShared(frame: SharedFrame): void {
    if (this.done) {
      return;
    }
    this.wrote = true;
    if (this.socket) {
      if (!this.out(this.chunked ? frame.chunked : frame.plain)) {
        this.full();
      }
    } else if (!this.response.write(frame.plain)) {
      this.full();
    }
  }

  whenWritable(): Promise<void> {
    const target = this.socket ?? this.response;
    // A drain comes only after a write returned false, which a socket does past its high-water
    // mark: under it (a bound set lower), the backlog owes no drain, and waiting for one would
    // stall the replay for good. Writes are then checked against the bound as they fill it.
    if (this.done || this.backlogBytes <= this.limits.maxBufferBytes || !target.writableNeedDrain) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const ready = () => {
        target.off('drain', ready);
        this.waitingForRoom.delete(ready);
        resolve();
      };
      target.on('drain', ready);
      this.waitingForRoom.add(ready);
    });
  }

  page(send: () => void): void {
    if (this.backlogBytes <= this.limits.maxBufferBytes) {
      // What earlier pages left is within the bound: only this page is allowed on top of it.
      this.pageAllowance = 0;
    }
    this.inPage = true;
    try {
      send();
    } finally {
      this.inPage = false;
    }
  }

  takeWrote(): boolean {
    const wrote = this.wrote;
    this.wrote = false;
    return wrote;
  }

  private writeMessage(message: MessageEvent): void {
    if (this.done) {
      return;
    }
    // The heartbeat is what a tick sends when nothing was written: counted as a write, it would
    // make the next tick skip, and an idle client would hear one every other period.
    if (message !== HEARTBEAT) {
      this.wrote = true;
    }
    const bytes = frameBytes(message);
    const parts = Array.isArray(bytes) ? bytes : [bytes];
    const size = parts.length === 1 ? parts[0].length : parts[0].length + parts[1].length;
    let ok = true;
    if (this.socket) {
      if (this.chunked) {
        this.out(chunkHead(size));
      }
      for (const part of parts) {
        ok = this.out(part);
      }
      if (this.chunked) {
        ok = this.out(CHUNK_END);
      }
    } else {
      ok = this.response.write(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    }
    if (this.inPage) {
      this.pageAllowance += size;
    }
    if (!ok) {
      this.full();
    }
    const event = (message as Partial<TopicMessage>)[SOURCE_EVENT];
    if (event !== undefined) {
      this.events.delivered(event.topic);
    }
  }

  /** Writes to the socket, corked until the end of this turn. */
  private out(bytes: Buffer): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket?.cork();
      corkedThisTurn(this);
    }
    return this.socket?.write(bytes) ?? false;
  }

  /** Ends this turn's cork: what was written in it leaves in one write. */
  uncork(): void {
    if (this.corked) {
      this.corked = false;
      this.socket?.uncork();
    }
  }

  /**
   * The socket is over its high-water mark: past the bound the client is dropped; below it, it
   * has the write timeout to start reading again.
   */
  private full(): void {
    const backlog = this.backlogBytes;
    if (backlog > this.limits.maxBufferBytes + this.pageAllowance) {
      this.dropClient('slow-consumer', backlog);
      return;
    }
    if (this.stallTimer) {
      return;
    }
    // Ripple's own writes never go through the response, which then never needs a drain.
    const target = this.socket ?? this.response;
    this.stallTimer = setTimeout(() => {
      if (target.writableNeedDrain) {
        this.dropClient('write-timeout', this.backlogBytes);
      }
    }, this.limits.writeTimeoutMs);
    target.once('drain', () => {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      // Caught up: a replay's page is read.
      this.pageAllowance = 0;
    });
  }

  private dropClient(reason: DropReason, backlog: number): void {
    this.done = true;
    this.release();
    this.events.dropped(reason, backlog);
    this.end(reason);
    // Closing the socket frees what waits in it at once; the client reconnects with its cursor.
    this.response.destroy();
    this.body.destroy();
  }

  /** Ends the stream after what is written, so the client reconnects. */
  private finish(reason: 'max-age' | 'server-end'): void {
    const ending = !this.done;
    this.release();
    if (ending) {
      this.end(reason);
      this.uncork();
      this.body.push(null);
    }
  }

  private end(reason: StreamEndReason): void {
    if (this.endReason === undefined) {
      this.endReason = reason;
      this.events.ended(reason);
    }
  }

  private release(): void {
    this.done = true;
    this.subscription?.unsubscribe();
    clearTimeout(this.stallTimer);
    clearTimeout(this.ageTimer);
    // A replay waiting for room learns that there will be none, and stops.
    for (const ready of this.waitingForRoom) {
      ready();
    }
  }
}

/**
 * Connections corked in this turn, uncorked together in one callback rather than one
 * process.nextTick per connection.
 */
const corked: SseConnection[] = [];

function uncorkAll(): void {
  // Connections corked while uncorking wait for the next callback.
  for (const connection of corked.splice(0)) {
    connection.uncork();
  }
}

function corkedThisTurn(connection: SseConnection): void {
  if (corked.push(connection) === 1) {
    process.nextTick(uncorkAll);
  }
}
