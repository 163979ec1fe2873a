import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { MessageEvent } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import { frameBytes } from '../wire/sse-frame.js';

export type DropReason = 'slow-consumer' | 'write-timeout';

export interface SseReadableLimits {
  /** Bytes accepted for this client but not yet written to its socket; past it, it is dropped. */
  maxBufferBytes: number;
  /** How long the socket may stay full before the connection is dropped. */
  writeTimeoutMs: number;
  /** The stream ends (cleanly, the client reconnects) after this long; 0 for never. */
  maxAgeMs: number;
}

/**
 * One client's event stream as bytes. Frames come encoded once for all clients where they can be
 * (see frameBytes); those of one turn of the event loop go out as one chunk, so a burst costs one
 * write per socket rather than one per event.
 *
 * The backlog is measured where it piles up, in this stream's buffer and in the response's and
 * socket's, and bounded: a client that does not read is dropped, and resumes from its cursor
 * when it comes back. Memory stays flat whatever a client does.
 */
export class SseReadable extends Readable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  /** Nest has piped this stream into the response, and what waited here has gone through. */
  private direct = false;
  private subscription?: Subscription;
  private stallTimer?: NodeJS.Timeout;
  private ageTimer?: NodeJS.Timeout;
  private dropped = false;
  /** Set while the first frames (the opening, the history a resume replays) are being queued. */
  private joining = true;
  /**
   * Bytes of that replay, allowed on top of the bound until the backlog is back under it: a
   * resume may replay more than the bound at once, and its client is not slow for that.
   */
  private replayAllowance = 0;

  constructor(
    private readonly response: ServerResponse,
    private readonly limits: SseReadableLimits,
    private readonly onDrop: (reason: DropReason, backlogBytes: number) => void,
  ) {
    super({ highWaterMark: 64 * 1024 });
    response.once('pipe', () => {
      this.piped = true;
    });
  }

  private piped = false;

  /**
   * Starts reading `source`. `onStarted` is called with its first frame, or at its end if it had
   * none; `onError` if it fails, before or after.
   */
  start(
    source: Observable<MessageEvent>,
    onStarted: () => void,
    onError: (err: unknown) => void,
  ): void {
    this.subscription = source.subscribe({
      next: (message) => {
        this.enqueue(message);
        onStarted();
      },
      error: (err: unknown) => {
        onError(err);
        this.finish();
      },
      complete: () => {
        onStarted();
        this.finish();
      },
    });
    if (this.limits.maxAgeMs > 0 && !this.destroyed) {
      this.ageTimer = setTimeout(() => this.finish(), this.limits.maxAgeMs);
    }
  }

  /** How many bytes wait for this client: here, in the response, and in its socket. */
  get backlogBytes(): number {
    return this.pendingBytes + this.readableLength + this.response.writableLength;
  }

  override _read(): void {
    // Frames are pushed as they come; the pipe's pauses are what the backlog bound watches.
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    callback(err);
  }

  private enqueue(message: MessageEvent): void {
    if (this.destroyed || this.dropped) {
      return;
    }
    const bytes = frameBytes(message);
    let size: number;
    if (Array.isArray(bytes)) {
      this.pending.push(bytes[0], bytes[1]);
      size = bytes[0].length + bytes[1].length;
    } else {
      this.pending.push(bytes);
      size = bytes.length;
    }
    this.pendingBytes += size;
    if (this.joining) {
      // The join queues its frames synchronously, in the turn of the first one.
      this.replayAllowance += size;
      if (this.replayAllowance === size) {
        process.nextTick(() => (this.joining = false));
      }
    }
    const backlog = this.backlogBytes;
    if (backlog <= this.limits.maxBufferBytes) {
      this.replayAllowance = 0;
    } else if (backlog > this.limits.maxBufferBytes + this.replayAllowance) {
      this.dropClient('slow-consumer', backlog);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      scheduleFlush(this);
    }
  }

  /** Writes what this turn queued, as one chunk. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingBytes === 0 || this.destroyed) {
      return;
    }
    const chunk =
      this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // Once the pipe has carried what waited here, frames go straight to the response: the pipe
    // then only ends it. Until then they go through the pipe, so the order holds.
    if (!this.direct && this.piped && this.readableLength === 0) {
      this.direct = true;
    }
    if (this.direct) {
      this.response.write(chunk);
    } else {
      this.push(chunk);
    }
    this.watchStall();
  }

  /** A socket that stays full past the write timeout belongs to a client that is not there. */
  private watchStall(): void {
    if (this.stallTimer || !this.response.writableNeedDrain) {
      return;
    }
    this.stallTimer = setTimeout(() => {
      if (this.response.writableNeedDrain) {
        this.dropClient('write-timeout', this.backlogBytes);
      }
    }, this.limits.writeTimeoutMs);
    this.response.once('drain', () => {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
    });
  }

  private dropClient(reason: DropReason, backlog: number): void {
    this.dropped = true;
    this.release();
    this.pending = [];
    this.pendingBytes = 0;
    this.onDrop(reason, backlog);
    // Closing the socket frees what waits in it at once; the client reconnects with its cursor.
    this.response.destroy();
    this.destroy();
  }

  /** Ends the stream after what is queued, so the client reconnects. */
  private finish(): void {
    this.release();
    if (!this.destroyed && !this.dropped) {
      this.flush();
      this.push(null);
    }
  }

  private release(): void {
    this.subscription?.unsubscribe();
    clearTimeout(this.stallTimer);
    clearTimeout(this.ageTimer);
  }
}

/**
 * Streams with frames queued this turn, flushed together in one callback rather than one
 * process.nextTick per stream per event.
 */
const queued: SseReadable[] = [];

function flushQueued(): void {
  // Streams queued while flushing wait for the next turn.
  const streams = queued.splice(0);
  for (const stream of streams) {
    stream.flush();
  }
}

function scheduleFlush(stream: SseReadable): void {
  if (queued.push(stream) === 1) {
    process.nextTick(flushQueued);
  }
}
