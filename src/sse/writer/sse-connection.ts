import type { ServerResponse } from 'node:http';
import { Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { MessageEvent } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import type { StreamEndReason } from '../metrics/sse-metrics.interface.js';
import {
  streamControlOf,
  type StreamControl,
  type StreamHolder,
} from '../stream/stream-control.js';
import { HEARTBEAT, SOURCE_EVENT, type TopicMessage } from '../wire/message-event.js';
import { CHUNK_END, chunkHead, frameBytes, type SharedFrame } from '../wire/sse-frame.js';

import type { DropReason } from '../flow/flow-stats.service.js';
import { responseGone, type SseResponse } from './client-gone.js';

export type { DropReason, SseResponse };

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
  /**
   * Bytes accepted for this client but not yet written to its socket (over HTTP/2: not yet sent on
   * its stream); past it, it is dropped.
   */
  maxBufferBytes: number;
  /** How long the socket (the HTTP/2 stream) may stay full before the connection is dropped. */
  writeTimeoutMs: number;
  /** The stream ends (cleanly, the client reconnects) after this long; 0 for never. */
  maxAgeMs: number;
}

/**
 * One client's event stream, written by Ripple rather than by Nest: frames go straight to the
 * socket, already framed as HTTP/1.1 chunks where they are shared, and each socket is corked
 * for the rest of the event loop's turn, so a burst leaves in one write per socket.
 *
 * It owns the response from the opening on: Nest is told the response is taken care of (see the
 * writer), and the connection ends it when the stream ends. A hub stream hands itself over at its
 * opening when its route allows it (StreamControl.handOver): the connection then holds the stream
 * and leaves the Observable, so that the request pipeline behind it can be collected.
 *
 * The backlog is what waits in the socket, and it is bounded: a client that does not read is
 * dropped, and resumes from its cursor when it comes back. Memory stays flat whatever a client does.
 *
 * Over HTTP/2 the response's socket is the session's, shared by every stream of the client: writing
 * to it would corrupt the session. The connection writes to its own stream instead (see openStream),
 * with the same code from then on: the HTTP/2 stream is corked for the turn as a socket is, takes
 * plain bytes (HTTP/2 frames them), and its backlog is what waits on it.
 */
export class SseConnection implements StreamHolder {
  /**
   * Where frames go, set once the headers are out: the socket (HTTP/1.x, when nothing of the
   * response waits in Node), or the response's HTTP/2 stream. Null: through the response.
   */
  private wire: Duplex | null = null;
  private chunked = false;
  /** The stream started: its headers were sent (or, for a HEAD, the response ended). */
  private opened = false;
  /** Answered with headers: the connection ends the response when the stream ends. */
  private answered = false;
  private corked = false;
  /** What was corked in this turn (the response's socket, before `wire` is known to be writable). */
  private corkedOn: Duplex | null = null;
  private wrote = false;
  private done = false;
  private subscription: Subscription | undefined = undefined;
  /** The stream, when it was handed over: closed with the connection. */
  private control: StreamControl | undefined = undefined;
  private stallTimer: NodeJS.Timeout | undefined = undefined;
  private ageTimer: NodeJS.Timeout | undefined = undefined;
  /**
   * Bytes of the last page a replay wrote, allowed on top of the bound until the socket drains:
   * the page went out when the backlog was under the bound, and its client is not slow for that.
   * A replay writes its next page only once the backlog is back under the bound (`whenWritable`),
   * so a resuming client costs at most the bound plus one page.
   */
  private pageAllowance = 0;
  /** Set while a page is being written. */
  private inPage = false;
  /**
   * Frames held back to leave in one write, as one HTTP chunk: from a hub stream's opening until
   * its first page is written, and each page of a replay. A resume's opening and replay then cost
   * one socket write rather than three per frame. Written at the page's end, or at the end of the
   * turn whatever happens (see uncork).
   */
  private gathered: Buffer[] | undefined = undefined;
  private gatheredBytes = 0;
  /** Replays waiting for room: resolved on the socket's drain, or when the connection ends. */
  private waitingForRoom: Set<() => void> | undefined = undefined;
  private endReason: StreamEndReason | undefined = undefined;

  constructor(
    private readonly response: SseResponse,
    private readonly limits: SseConnectionLimits,
    private readonly events: SseConnectionEvents,
  ) {}

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
    const subscription = source.subscribe({
      next: (message) => {
        if (!this.opened) {
          onStarted();
          // Ended as it started (a HEAD), or by a client that left meanwhile.
          if (this.done) {
            return;
          }
          this.takeControl(message);
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
    // Ended while being subscribed (a drop in the replay, a source that failed at once), or handed
    // over by then: the subscription is not needed.
    if (this.done || this.control) {
      subscription.unsubscribe();
    } else {
      this.subscription = subscription;
    }
  }

  /**
   * Watches the client: the stream ends when the response closes, or at once if the client is
   * gone already. Called once the response has its socket (a response pipelined behind another
   * waits for it first): Node then closes the response when the connection closes.
   */
  watchClient(socket: Pick<Socket, 'destroyed'>): void {
    if (responseGone(this.response) || socket.destroyed) {
      this.clientLeft();
      return;
    }
    watching.set(this.response, this);
    this.response.on('close', responseClosed);
  }

  /**
   * Sends the headers, and chooses where frames go, once: Ripple writes to the socket itself when
   * Node holds nothing back, and over HTTP/2 to the response's stream.
   */
  open(): void {
    if (this.opened) {
      return;
    }
    this.opened = true;
    this.answered = true;
    const response = this.response;
    if (response instanceof Http2ServerResponse) {
      this.openStream(response);
    } else {
      this.openSocket(response);
    }
    if (this.limits.maxAgeMs > 0) {
      this.ageTimer = setTimeout(endAtMaxAge, this.limits.maxAgeMs, this);
    }
  }

  private openSocket(response: ServerResponse): void {
    // Corked first, so that the headers leave with the opening frame and the first page in one
    // socket write, not one of their own.
    this.corkForTurn(response.socket);
    response.flushHeaders();
    const socket = response.socket;
    // Anything Node still holds (a response queued behind a pipelined one) must go first:
    // then Ripple writes through the response, which keeps the order.
    if (socket && response.writableLength === socket.writableLength) {
      this.wire = socket;
      this.chunked = (response as ServerResponse & { chunkedEncoding: boolean }).chunkedEncoding;
    }
  }

  /**
   * HTTP/2: frames go on the response's own stream, never its socket (the session's). The stream
   * frames them (DATA frames, no chunks) and holds what the client's flow-control window does not
   * let out yet: its writableLength is this client's backlog, and the bound and the write deadline
   * are checked against it. A stream its client does not read stops at its own window, and the
   * session goes on sending the other streams. The headers are a frame of their own (HEADERS);
   * corking the stream gathers the turn's frames into one write on it.
   */
  private openStream(response: Http2ServerResponse): void {
    const stream = response.stream;
    this.corkForTurn(stream);
    response.writeHead(response.statusCode);
    this.wire = stream;
  }

  /** The client hung up: the stream ends now, whatever point it had reached. */
  clientLeft(): void {
    this.recordEnd('client');
    this.release();
  }

  /**
   * The response, written to only while `wire` is not set: an HTTP/1.x response that Node still
   * holds bytes of (an HTTP/2 response always has its stream).
   */
  private viaResponse(): ServerResponse {
    return this.response as ServerResponse;
  }

  /** Ends the stream at its first frame, its checks passed, with nothing written: a HEAD. */
  endEmpty(): void {
    this.opened = true;
    this.answered = true;
    this.finish('server-end');
  }

  send(message: MessageEvent): void {
    this.writeMessage(message);
  }

  sendFrame(frame: SharedFrame, topic: string): void {
    if (this.done) {
      return;
    }
    this.wrote = true;
    this.writeFrame(frame.plain);
    this.events.delivered(topic);
  }

  end(): void {
    this.finish('server-end');
  }

  /** Ends the stream as its maximum age says, cleanly: its client reconnects. */
  endAtMaxAge(): void {
    this.finish('max-age');
  }

  /** How many bytes wait for this client, in Node and in its socket (over HTTP/2, its stream). */
  get backlogBytes(): number {
    return this.response.writableLength;
  }

  /** The hot path: a live event's frame, encoded once for every one-topic connection. */
  writeShared(frame: SharedFrame): void {
    if (this.done) {
      return;
    }
    this.wrote = true;
    if (this.gathered) {
      this.flushGathered();
    }
    if (this.wire) {
      // Not corked: the channel writes each connection once per turn, a burst's frames joined, so
      // a cork would only hold one write (the socket is corked when this turn wrote it already).
      if (!this.wire.write(this.chunked ? frame.chunked : frame.plain)) {
        this.full();
      }
    } else if (!this.viaResponse().write(frame.plain)) {
      this.full();
    }
  }

  whenWritable(): Promise<void> {
    const target = this.wire ?? this.response;
    // A drain comes only after a write returned false, which a socket does past its high-water
    // mark: under it (a bound set lower), the backlog owes no drain, and waiting for one would
    // stall the replay for good. Writes are then checked against the bound as they fill it.
    if (this.done || this.backlogBytes <= this.limits.maxBufferBytes || !target.writableNeedDrain) {
      return Promise.resolve();
    }
    const waiting = (this.waitingForRoom ??= new Set());
    return new Promise((resolve) => {
      const ready = () => {
        target.off('drain', ready);
        waiting.delete(ready);
        resolve();
      };
      target.on('drain', ready);
      waiting.add(ready);
    });
  }

  page(send: () => void): void {
    if (this.backlogBytes <= this.limits.maxBufferBytes) {
      // What earlier pages left is within the bound: only this page is allowed on top of it.
      this.pageAllowance = 0;
    }
    this.inPage = true;
    this.gather();
    try {
      send();
    } finally {
      this.inPage = false;
      this.flushGathered();
    }
  }

  takeWrote(): boolean {
    const wrote = this.wrote;
    this.wrote = false;
    return wrote;
  }

  /**
   * At the opening: the stream is handed over when its route allows it (everything then comes from
   * the stream itself, and the subscription, with the request pipeline behind it, is let go), or
   * else only attached (for pacing, and for the fast path).
   */
  private takeControl(message: MessageEvent): void {
    const control = streamControlOf(message);
    if (control) {
      // Its first page follows the opening at once: both go out in one write.
      this.gather();
    }
    if (control?.handOver(this)) {
      this.control = control;
      // Set only once subscribe() returned; if not yet, start() leaves it.
      this.subscription?.unsubscribe();
      this.subscription = undefined;
    } else {
      control?.attach(this);
    }
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
    if (Array.isArray(bytes)) {
      this.writeFrame(bytes[0], bytes[1]);
    } else {
      this.writeFrame(bytes);
    }
    const event = (message as Partial<TopicMessage>)[SOURCE_EVENT];
    if (event !== undefined) {
      this.events.delivered(event.topic);
    }
  }

  /** One frame, in one or two parts: gathered for the next write, or written as a chunk of its own. */
  private writeFrame(first: Buffer, second?: Buffer): void {
    const size = second ? first.length + second.length : first.length;
    if (this.inPage) {
      this.pageAllowance += size;
    }
    if (this.gathered) {
      this.gathered.push(first);
      if (second) {
        this.gathered.push(second);
      }
      this.gatheredBytes += size;
      return;
    }
    let ok: boolean;
    if (this.wire) {
      if (this.chunked) {
        this.out(chunkHead(size));
      }
      ok = this.out(first);
      if (second) {
        ok = this.out(second);
      }
      if (this.chunked) {
        ok = this.out(CHUNK_END);
      }
    } else {
      ok = this.viaResponse().write(second ? Buffer.concat([first, second], size) : first);
    }
    if (!ok) {
      this.full();
    }
  }

  /** Frames from now on wait for flushGathered; at the latest, the end of this turn writes them. */
  private gather(): void {
    if (!this.gathered) {
      this.gathered = [];
      this.corkForTurn();
    }
  }

  /** What was gathered, in one write: one chunk (one Buffer) for the whole page. */
  private flushGathered(): void {
    const parts = this.gathered;
    const size = this.gatheredBytes;
    this.gathered = undefined;
    this.gatheredBytes = 0;
    if (!parts || parts.length === 0 || this.done) {
      return;
    }
    let ok: boolean;
    if (this.wire) {
      ok = this.out(this.chunked ? oneChunk(parts, size) : Buffer.concat(parts, size));
    } else {
      ok = this.viaResponse().write(Buffer.concat(parts, size));
    }
    if (!ok) {
      this.full();
    }
  }

  /** Writes to the socket, corked until the end of this turn. */
  private out(bytes: Buffer): boolean {
    this.corkForTurn();
    return this.wire?.write(bytes) ?? false;
  }

  private corkForTurn(socket: Duplex | null = this.wire): void {
    if (!this.corked) {
      this.corked = true;
      this.corkedOn = socket;
      socket?.cork();
      corkedThisTurn(this);
    }
  }

  /** Ends this turn's cork: what was written (or gathered) in it leaves in one write. */
  uncork(): void {
    if (this.gathered) {
      this.flushGathered();
    }
    if (this.corked) {
      const socket = this.corkedOn;
      this.corked = false;
      this.corkedOn = null;
      socket?.uncork();
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
    const target = this.wire ?? this.response;
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
    this.recordEnd(reason);
    // Closing the socket (over HTTP/2, resetting the stream) frees what waits in it at once; the
    // client reconnects with its cursor.
    this.response.destroy();
  }

  /**
   * Ends the stream after what is written, so the client reconnects. A stream refused before its
   * answer leaves the response to whoever answers the refusal.
   */
  private finish(reason: 'max-age' | 'server-end'): void {
    const ending = !this.done;
    if (ending) {
      this.flushGathered();
      // Dropped by that write: it has ended already.
      if (this.done) {
        return;
      }
    }
    this.release();
    if (ending) {
      this.recordEnd(reason);
      this.uncork();
      if (this.answered) {
        this.response.end();
      }
    }
  }

  private recordEnd(reason: StreamEndReason): void {
    if (this.endReason === undefined) {
      this.endReason = reason;
      this.events.ended(reason);
    }
  }

  private release(): void {
    this.done = true;
    this.gathered = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    const control = this.control;
    this.control = undefined;
    control?.close();
    clearTimeout(this.stallTimer);
    clearTimeout(this.ageTimer);
    if (watching.get(this.response) === this) {
      watching.delete(this.response);
      this.response.off('close', responseClosed);
    }
    // A replay waiting for room learns that there will be none, and stops.
    for (const ready of this.waitingForRoom ?? []) {
      ready();
    }
  }
}

/** Frames as one HTTP/1.1 chunk, in one Buffer: its size line, the frames, its CRLF. */
function oneChunk(parts: Buffer[], size: number): Buffer {
  const head = `${size.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(head.length + size + CHUNK_END.length);
  let at = chunk.write(head, 0, 'latin1');
  for (const part of parts) {
    at += part.copy(chunk, at);
  }
  CHUNK_END.copy(chunk, at);
  return chunk;
}

/** The connections watching their responses' close (see watchClient). */
const watching = new WeakMap<SseResponse, SseConnection>();

/** The listener of every watched response: one function, not a closure per connection. */
function responseClosed(this: SseResponse): void {
  watching.get(this)?.clientLeft();
}

/** The max-age timer's callback: one function for every connection. */
function endAtMaxAge(connection: SseConnection): void {
  connection.endAtMaxAge();
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
