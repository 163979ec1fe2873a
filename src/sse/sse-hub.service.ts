import {
  BadRequestException,
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  HttpException,
  Logger,
  PayloadTooLargeException,
  OnModuleDestroy,
  ServiceUnavailableException,
  UnprocessableEntityException,
  type MessageEvent,
} from '@nestjs/common';
import {
  from,
  switchMap,
  type Observable,
  type Subscriber,
  type Subscription,
  type TeardownLogic,
} from 'rxjs';
import { InjectHistory, type History, type Recent } from './history/history.interface.js';
import { recentCursor } from './stream/recent-history.js';
import { InjectSseMetrics } from './metrics/inject-sse-metrics.decorator.js';
import { NO_SSE_METRICS } from './metrics/no-sse-metrics.js';
import type { SseMetrics } from './metrics/sse-metrics.interface.js';
import { SSE_OPTIONS, type ResolvedSseOptions } from './sse.constants.js';
import type { OutgoingEvent, TopicEvent } from './topic-event.interface.js';
import {
  BAD_BATCH_EVENT,
  DATA_NOT_JSON,
  HUB_CLOSED,
  IDEMPOTENCY_KEY_REUSED,
  PAYLOAD_TOO_LARGE,
  STREAMS_ENDING,
  STREAMS_UNAVAILABLE,
  STREAM_FAILED,
  STREAM_NOT_STARTED,
  TRANSPORT_UNAVAILABLE,
} from './sse.messages.js';
import { TopicChannels } from './fanout/topic-channels.js';
import { SharedReads } from './history/shared-reads.js';
import { FrameCache } from './fanout/frame-cache.js';
import { Heartbeat } from './stream/heartbeat.js';
import { HubStream } from './stream/hub-stream.js';
import {
  resumableStream,
  type OpenStream,
  type ResumableStreamDeps,
} from './stream/resumable-stream.js';
import { TopicStats, type TopicDescription } from './topics/topic-stats.service.js';
import { SSE_BACKEND, type SseBackend } from './backend/sse-backend.interface.js';
import { InjectTransport, type Transport } from './transport/transport.interface.js';
import {
  checkIdempotencyKey,
  checkTopic,
  checkTopics,
  checkType,
  type BatchEvent,
} from './validation/request-checks.js';
import { parseCursor, type CursorParse } from './wire/cursor.js';
import { byteLength, serializePayload } from './wire/payload.js';
import { inRequestScope, requestInScope } from './http/request-scope.js';

/** How long shutdown lets ended streams flush their last bytes before sockets are closed. */
const END_FLUSH_MS = 50;

/** How long a stream may take to open on a backend that names no deadline of its own. */
const DEFAULT_OPERATION_TIMEOUT_MS = 3000;

export interface PublishOptions {
  /** The SSE event type; the topic name when absent. */
  type?: string;
  /**
   * Stores the event once per topic and key within the idempotency window: a retry with the same
   * key gets the first publish's id (and `replayed`), a different event under it a 422.
   */
  idempotencyKey?: string;
}

export interface PublishedEvent {
  topic: string;
  id: string;
  /** Set when an earlier publish with the same Idempotency-Key stored the event. */
  replayed?: true;
}

/**
 * The hub: publish to topics, stream topics to connections. It owns no socket and no timer of its
 * own making beyond the shared heartbeat tick; how events travel is the Transport's business.
 */
@Injectable()
export class SseHub implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(SseHub.name);
  private readonly connections = new Set<OpenStream>();
  /** What every stream shares: a stream keeps a reference to it, not copies or closures. */
  private readonly streamDeps: ResumableStreamDeps;
  private closing = false;

  constructor(
    @InjectTransport() private readonly transport: Transport,
    @InjectHistory() private readonly history: History,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
    private readonly stats: TopicStats,
    @InjectSseMetrics() private readonly metrics: SseMetrics = NO_SSE_METRICS,
  ) {
    const channels = new TopicChannels(transport, metrics, new FrameCache(options.frameCacheBytes));
    this.streamDeps = {
      channels,
      // Streams resuming the same topic at once (a reconnect storm) share their reads.
      history: new SharedReads(history, () => channels.signals),
      frames: channels.frames,
      retryMs: options.retryMs,
      pageSize: options.replayPageSize,
      // One timer for all connections, started by the first and stopped with the last.
      heartbeat: new Heartbeat(options.heartbeatMs),
      registry: {
        opened: (stream) => {
          this.connections.add(stream);
          for (const topic of stream.topics) {
            this.stats.subscribed(topic, 1);
          }
        },
        closed: (stream) => {
          this.connections.delete(stream);
          for (const topic of stream.topics) {
            this.stats.subscribed(topic, -1);
          }
        },
      },
      failed: (topics, err) => this.streamFailed(topics, err),
    };
  }

  /** Whether publishing and new streams work now (with Redis: whether Redis answers). */
  get ready(): boolean {
    return !this.closing && this.transport.available;
  }

  /** Shutting down: open streams are being ended and no new one is taken. */
  get draining(): boolean {
    return this.closing;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  describeTopic(topic: string, description: TopicDescription): void {
    this.stats.describe(checkTopic(topic), description);
  }

  /** Stores and fans out one event; resolves once it is stored, with its id. */
  async publish(
    topic: string,
    data: unknown,
    options: PublishOptions = {},
  ): Promise<PublishedEvent> {
    // Its failure's line is about the publish's request, whose scope the await below leaves.
    const request = requestInScope();
    const event = this.prepare(topic, data, options.type);
    const idempotencyKey = checkIdempotencyKey(options.idempotencyKey);
    this.refuseWhenClosing();
    let stored: { id: string };
    try {
      if (idempotencyKey !== undefined) {
        const once = await this.transport.publishOnce(topic, event, idempotencyKey);
        if (once.conflict) {
          throw new UnprocessableEntityException(IDEMPOTENCY_KEY_REUSED());
        }
        if (once.replayed) {
          return { topic, id: once.id, replayed: true };
        }
        stored = once;
      } else {
        stored = await this.transport.publish(topic, event);
      }
    } catch (err) {
      throw inRequestScope(request, this.publishFailure, topic, err);
    }
    this.stats.published(topic);
    this.metrics.published(topic);
    return { topic, id: stored.id };
  }

  /**
   * Stores and fans out several events, possibly of several topics, in their order. All are
   * checked first: one bad event refuses the batch (naming its index) and nothing is published.
   * They then reach the transport in one turn, so that it can send them together (Redis does).
   * A transport failure is a 503 for the whole batch, though some events may be stored.
   */
  async publishMany(events: readonly BatchEvent[]): Promise<PublishedEvent[]> {
    const request = requestInScope();
    const prepared = events.map((item, index) => {
      try {
        return this.prepare(item.topic, item.data, item.type);
      } catch (err) {
        throw err instanceof HttpException ? atIndex(index, err) : err;
      }
    });
    this.refuseWhenClosing();
    let stored: TopicEvent[];
    try {
      stored = await Promise.all(
        prepared.map((event, index) => this.transport.publish(events[index].topic, event)),
      );
    } catch (err) {
      throw inRequestScope(
        request,
        this.publishFailure,
        events.map((item) => item.topic).join(', '),
        err,
      );
    }
    return stored.map((event, index) => {
      const topic = events[index].topic;
      this.stats.published(topic);
      this.metrics.published(topic);
      return { topic, id: event.id };
    });
  }

  /** The checks of one event, and its payload serialised once for every reader. */
  private prepare(topic: string, data: unknown, type: unknown): OutgoingEvent {
    checkTopic(topic);
    const checkedType = checkType(type);
    let text: string;
    try {
      text = serializePayload(data);
    } catch {
      throw new BadRequestException(DATA_NOT_JSON());
    }
    // Characters bound bytes from below (and from above by 3x): most payloads skip the count.
    if (text.length * 3 > this.options.maxPayloadBytes) {
      const bytes = byteLength(text);
      if (bytes > this.options.maxPayloadBytes) {
        throw new PayloadTooLargeException(PAYLOAD_TOO_LARGE(bytes, this.options.maxPayloadBytes));
      }
    }
    return { type: checkedType, data: text };
  }

  private refuseWhenClosing(): void {
    if (this.closing) {
      throw new ServiceUnavailableException(HUB_CLOSED());
    }
  }

  /** Never a 201 for an event that was not stored: the publisher must know to retry. */
  private readonly publishFailure = (topics: string, err: unknown): HttpException => {
    if (err instanceof HttpException) {
      return err;
    }
    this.logger.warn(`Publish to ${topics} failed: ${errorText(err)}`);
    return new ServiceUnavailableException(TRANSPORT_UNAVAILABLE());
  };

  /**
   * The events of `topics` as Nest MessageEvents, from the position `lastEventId` names (or from
   * now), then live, until the subscriber leaves or the hub shuts down.
   */
  stream(topics: string[], lastEventId?: string, recent?: Recent): HubStream {
    const checked = checkTopics(topics, this.options.maxTopicsPerConnection);
    if (this.closing) {
      throw new ServiceUnavailableException(HUB_CLOSED());
    }
    if (!this.transport.available) {
      throw new ServiceUnavailableException(STREAMS_UNAVAILABLE());
    }
    const start =
      lastEventId === undefined || lastEventId === '' ? undefined : parseCursor(lastEventId);
    // Its lines are about the stream's request (the writer enters it as it asks for the stream).
    const request = requestInScope();
    // What the route allows (HubStream) is read as the stream opens, once the handler returned it.
    const stream: HubStream = new HubStream((subscriber) =>
      guardOpening(
        this.opened(checked, start, recent, stream),
        subscriber,
        // A hung Redis must not keep the request waiting: the deadline is the backend's.
        this.backend.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
        (err) => {
          if (err !== undefined) {
            inRequestScope(request, () =>
              this.logger.warn(STREAM_NOT_STARTED(checked, errorText(err))),
            );
          }
          return new ServiceUnavailableException(STREAMS_UNAVAILABLE());
        },
        // Nest would write an error's message to the client; the client only needs to reconnect.
        (err) => inRequestScope(request, () => this.streamFailed(checked, err)),
      ),
    );
    return stream;
  }

  /** The stream from its cursor; with recent history asked for, from where that history starts. */
  private opened(
    topics: string[],
    start: CursorParse | undefined,
    recent: Recent | undefined,
    stream: HubStream,
  ): ReturnType<typeof resumableStream> {
    if (recent === undefined) {
      return resumableStream(this.streamDeps, topics, start, stream);
    }
    return from(recentCursor(this.history, topics, start, recent)).pipe(
      switchMap((cursor) => resumableStream(this.streamDeps, topics, cursor, stream)),
    );
  }

  private streamFailed(topics: readonly string[], err: unknown): void {
    this.logger.error(STREAM_FAILED(topics), err instanceof Error ? err.stack : String(err));
  }

  /** Ends every open stream, so that clients reconnect (elsewhere) and the server can close. */
  /** Readiness goes down first, before any stream ends, so balancers stop sending clients here. */
  onModuleDestroy(): void {
    this.closing = true;
  }

  /**
   * Ends every open stream, spread over the drain window so that their clients do not all
   * reconnect to the next instance in one instant, and waits until they are ended.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const open = [...this.connections];
    this.logger.log(STREAMS_ENDING(open.length, this.options.drainMs));
    if (open.length === 0) {
      return;
    }
    const window = this.options.drainMs;
    await Promise.all(
      open.map(
        (stream) =>
          new Promise<void>((resolve) => {
            // Never at once: a balancer gets a moment to see readiness go down first.
            const at = window === 0 ? 0 : window * (0.1 + 0.9 * Math.random());
            setTimeout(() => {
              stream.complete();
              resolve();
            }, at);
          }),
      ),
    );
    // Nest ends each response through a stream pipe, a few ticks later; the server then closes
    // the sockets. Without this pause clients see a cut stream rather than its clean end.
    await new Promise((resolve) => setTimeout(resolve, END_FLUSH_MS));
  }
}

/** A batch's refusal, as the event's own refusal with its index in front. */
function atIndex(index: number, err: HttpException): HttpException {
  return new HttpException(BAD_BATCH_EVENT(index, err.message), err.getStatus(), { cause: err });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Until its opening frame a stream can still be refused with a status, which the writer answers
 * (an empty 200 would leave the client retrying a stream that never starts): an error then, or no
 * opening within `ms` (every topic subscribed and its start read), becomes `refusal(err)` (`err`
 * undefined on the deadline); an HttpException goes through as it is. After the opening, an
 * HttpException still goes through, and any other error is `failed` and ends the stream cleanly.
 * Written out rather than as operators: every stream of a reconnect storm goes through it.
 */
function guardOpening(
  source: Observable<MessageEvent>,
  subscriber: Subscriber<MessageEvent>,
  ms: number,
  refusal: (err?: unknown) => HttpException,
  failed: (err: unknown) => void,
): TeardownLogic {
  let opened = false;
  const deadline = (): void => {
    subscription.unsubscribe();
    subscriber.error(refusal());
  };
  OPENING_DEADLINES.arm(deadline, ms);
  const subscription: Subscription = source.subscribe({
    next: (message) => {
      if (!opened) {
        opened = true;
        OPENING_DEADLINES.met(deadline);
      }
      subscriber.next(message);
    },
    error: (err: unknown) => {
      OPENING_DEADLINES.met(deadline);
      if (err instanceof HttpException) {
        subscriber.error(err);
      } else if (!opened) {
        subscriber.error(refusal(err));
      } else {
        failed(err);
        subscriber.complete();
      }
    },
    complete: () => {
      OPENING_DEADLINES.met(deadline);
      subscriber.complete();
    },
  });
  return () => {
    OPENING_DEADLINES.met(deadline);
    subscription.unsubscribe();
  };
}

/**
 * The deadlines of the openings under way (guardOpening), each called once its time has passed
 * unless met first. One sweep for all of them, every tenth of the shortest deadline (so a
 * deadline fires within a tenth of it past its time), rather than a timer set and cleared for
 * every stream: a reconnect storm opens thousands, each within a millisecond or two.
 */
class Deadlines {
  private readonly waiting = new Map<() => void, number>();
  private sweeper: NodeJS.Timeout | undefined = undefined;
  private everyMs = Infinity;

  arm(expire: () => void, ms: number): void {
    this.waiting.set(expire, Date.now() + ms);
    const everyMs = Math.max(1, Math.ceil(ms / 10));
    if (this.sweeper === undefined || everyMs < this.everyMs) {
      clearInterval(this.sweeper);
      this.everyMs = everyMs;
      this.sweeper = setInterval(() => this.sweep(), everyMs).unref();
    }
  }

  met(expire: () => void): void {
    this.waiting.delete(expire);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [expire, at] of this.waiting) {
      if (at <= now) {
        this.waiting.delete(expire);
        expire();
      }
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      this.everyMs = Infinity;
    }
  }
}

const OPENING_DEADLINES = new Deadlines();
