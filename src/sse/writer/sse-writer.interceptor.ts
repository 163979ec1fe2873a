import type { ServerResponse } from 'node:http';
import { AsyncResource } from 'node:async_hooks';
import { Readable } from 'node:stream';
import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { grantExpired } from '../auth/request-grant.js';
import {
  isFastifyReply,
  rawRequest,
  rawResponse,
  type FastifyReplyLike,
  type PlatformRequest,
  type PlatformResponse,
} from '../http/http-objects.js';
import { ConnectionLimiter, type Place } from '../flow/connection-limiter.service.js';
import { FlowStats } from '../flow/flow-stats.service.js';
import { InjectSseMetrics } from '../metrics/inject-sse-metrics.decorator.js';
import { NO_SSE_METRICS } from '../metrics/no-sse-metrics.js';
import type {
  SseMetrics,
  StreamEndReason,
  StreamRefusal,
} from '../metrics/sse-metrics.interface.js';
import { SSE_OPTIONS, type ResolvedSseOptions } from '../sse.constants.js';
import {
  ADDRESS_FULL,
  INSTANCE_FULL,
  SLOW_CONSUMER_DROPPED,
  STREAM_FAILED_LATE,
} from '../sse.messages.js';
import { clientGone } from './client-gone.js';
import { awaitTurn } from './pipelined-turn.js';
import { releaseRoutingLeftovers } from './routing-leftovers.js';
import { inRequestScope } from '../http/request-scope.js';
import {
  SseConnection,
  type DropReason,
  type SseConnectionEvents,
  type SseConnectionLimits,
} from './sse-connection.js';

/** Seconds a refused client is told to wait: long enough to let a burst of reconnects spread. */
const RETRY_AFTER_S = 5;

/**
 * Ripple's writer for streaming routes: the handler's Observable of MessageEvents goes to the
 * socket through an SseConnection (shared encoded frames, one write per socket per turn, a bounded
 * backlog). Nest gets a StreamableFile as the stream opens and is done with the request then: the
 * connection owns the response and ends it with the stream, and (when the route allows it) holds
 * the stream past the Observable, so that an open stream keeps its socket and its own small state,
 * not the request pipeline that opened it.
 * Nest's own `@Sse()` writer costs a Promise, a Transform stream and a serialisation per event
 * per client, and queues without a byte bound; see docs/performance.md.
 */
@Injectable()
export class SseWriterInterceptor implements NestInterceptor, OnModuleDestroy {
  readonly logger = new Logger(SseWriterInterceptor.name);
  /** Set as the shutdown begins (before the hub drains): streams that end now end for it. */
  private shuttingDown = false;
  readonly limits: SseConnectionLimits;

  constructor(
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
    private readonly limiter: ConnectionLimiter,
    readonly stats: FlowStats,
    @InjectSseMetrics() readonly metrics: SseMetrics = NO_SSE_METRICS,
  ) {
    this.limits = {
      maxBufferBytes: options.maxBufferBytes,
      writeTimeoutMs: options.writeTimeoutMs,
      maxAgeMs: options.maxConnectionAgeMs,
    };
  }

  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<MessageEvent>,
  ): Observable<StreamableFile> {
    const http = context.switchToHttp();
    return this.write(
      http.getRequest<PlatformRequest & { ip?: string }>(),
      http.getResponse<PlatformResponse>(),
      next,
    );
  }

  /**
   * What `intercept` does, for a route that writes its stream itself rather than through Nest's
   * interceptor chain (the built-in `GET /events`, which has no interceptor between its handler
   * and the writer, and is spared the chain's per-request Observables and Promises): the
   * handler returns this, and interceptors outside it (global, controller) see the same as with
   * `@RippleSse()`, a `StreamableFile` at the opening or the error that refused it.
   *
   * The platform's request (Express's, or Fastify's wrapper) keys the guards' grants and gives
   * the client's address as the platform's proxy settings say; everything else is Node's.
   */
  write(
    platformRequest: PlatformRequest & { ip?: string },
    reply: PlatformResponse,
    source: CallHandler<MessageEvent>,
  ): Observable<StreamableFile> {
    // The handler's checks (topics, cursor, auth) fail when its Observable is subscribed, before
    // its first frame: Nest is answered only then, so that until then an exception filter can
    // still answer with a status and a JSON body. The first frame (the opening `retry:`) comes at
    // once, and the headers go with it. Nothing is taken before Nest subscribes.
    return new Observable<StreamableFile>((subscriber) =>
      this.openStream(platformRequest, reply, source, subscriber),
    );
  }

  /**
   * What `write` does, begun at once, with its answer as a Promise: for a route whose handler
   * hands its stream to the writer and has no interceptor of its own (the built-in `GET /events`).
   * Nest awaits a Promise where it would pipe an Observable through its disconnect tracking
   * (`takeUntil`, `tap`, a `switchMap` over the request's close, `lastValueFrom`: a listener and
   * half a dozen subscribers per opening); the connection watches its client itself, and a client
   * that leaves before the answer resolves it with nothing to send, as `write` does. Interceptors
   * outside the route (global, controller) see the same: a `StreamableFile` at the opening, or the
   * error that refused it.
   */
  opening(
    platformRequest: PlatformRequest & { ip?: string },
    reply: PlatformResponse,
    source: CallHandler<MessageEvent>,
  ): Promise<StreamableFile> {
    return new Promise<StreamableFile>((resolve, reject) => {
      this.openStream(platformRequest, reply, source, {
        next: resolve,
        error: reject,
        complete: noop,
      });
    });
  }

  /** The opening, for whoever waits for its answer (`sink`); what undoes it if that one leaves. */
  private openStream(
    platformRequest: PlatformRequest & { ip?: string },
    reply: PlatformResponse,
    source: CallHandler<MessageEvent>,
    subscriber: OpeningSink,
  ): (() => void) | void {
    const request = rawRequest(platformRequest);
    const response = rawResponse(reply);
    const head = request.method === 'HEAD';
    if (clientGone(request, response)) {
      // It hung up while the request was in middleware or guards: its `close` has fired, and
      // nothing may be taken for it (a place, a subscription) that only that close would free.
      subscriber.next(nothingToSend(reply));
      subscriber.complete();
      return;
    }
    const begin = (): (() => void) | void => {
      // A body sent with the stream's request is read and dropped: left unread, it fills the
      // socket's buffer, Node stops reading the socket, and its client's leaving goes unseen
      // (its place held) until a heartbeat fails to write.
      request.resume();
      const address = platformRequest.ip ?? request.socket.remoteAddress ?? 'unknown';
      const place = this.limiter.acquire(address);
      if ('refused' in place) {
        this.stats.refused(place.refused);
        this.metrics.streamRefused(place.refused);
        response.setHeader('Retry-After', String(RETRY_AFTER_S));
        subscriber.error(
          place.refused === 'instance-full'
            ? new ServiceUnavailableException(INSTANCE_FULL(this.options.maxConnections))
            : new HttpException(
                ADDRESS_FULL(this.options.maxConnectionsPerIp),
                HttpStatus.TOO_MANY_REQUESTS,
              ),
        );
        return;
      }
      const report = new StreamReport(this, platformRequest, address, place, subscriber, reply);
      const connection = new SseConnection(response, this.limits, report);
      // However and whenever the client leaves (before the first frame, mid-stream, while its
      // response waits behind a pipelined one), its place is given back and its stream ended.
      connection.watchClient(request.socket);
      const answer = () => {
        if (report.answered) {
          return;
        }
        if (isFastifyReply(reply)) {
          leaveToRipple(reply);
        }
        // Only on the stream's answer: a refusal keeps the connection handling the client asked for.
        response.setHeader('Cache-Control', 'no-cache, no-transform');
        response.setHeader('X-Accel-Buffering', 'no');
        if (request.httpVersionMajor === 1) {
          response.setHeader('Connection', connectionHeader(response));
        }
        response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        if (head) {
          // Ripple writes to the socket itself, past Node's HEAD handling: a HEAD gets the
          // headers a GET would, and the connection ends the response at once.
          report.answer(false);
          connection.endEmpty();
          return;
        }
        // Events are small and latency matters more than packet count. No TCP keep-alive: the
        // heartbeat writes to an idle stream long before the kernel's probes would start (2 h),
        // and would cost a system call per opening.
        request.socket.setNoDelay(true);
        this.metrics.streamOpened();
        connection.open();
        report.answer(true);
        // The request pipeline is over: what Express's routing left goes with it.
        releaseRoutingLeftovers(request, response);
      };
      // In the request's scope: what the handler and the hub log about the stream names it.
      connection.start(inRequestScope(request, handleOf, source), answer, (err) => {
        if (!report.refuse(err)) {
          inRequestScope(request, () =>
            this.logger.error(STREAM_FAILED_LATE(), err instanceof Error ? err.stack : String(err)),
          );
        }
      });
      // Whoever subscribed left before the answer (an outer interceptor's timeout): end it here.
      return () => {
        if (report.leave()) {
          connection.clientLeft();
        }
      };
    };
    if (response.socket) {
      return begin();
    }
    // Pipelined behind a response still going on this connection (another stream, perhaps,
    // which never ends): it can be answered only after that one, so it takes nothing (a place,
    // a subscription) until its turn. Else one connection could hold every place.
    return awaitTurn(
      request,
      response,
      begin,
      () => {
        subscriber.next(nothingToSend(reply));
        subscriber.complete();
      },
      this.options.maxPipelinedStreams,
    );
  }

  /** The connection knows how its stream ended; the drain and a token's expiry are known here. */
  endReason(reason: StreamEndReason, request: object): StreamEndReason {
    if (reason !== 'server-end' && reason !== 'client') {
      return reason;
    }
    // Past the drain, the server closes what is left.
    if (this.shuttingDown) {
      return 'shutdown';
    }
    return reason === 'server-end' && grantExpired(request) ? 'auth' : reason;
  }
}

/**
 * What one stream tells the writer, and all the writer keeps of its request while it is open: its
 * place, its address and async context (for the drop's log line), and, until the stream is
 * answered, Nest's subscriber. One small object with the writer's shared methods, not closures.
 */
class StreamReport implements SseConnectionEvents {
  /**
   * A drop happens in the turn of whatever overflowed the stream (another request's publish): its
   * log line runs in this request's scope (request-scope.ts) and async context, so that a logger
   * that reads the request from either (the service's; nestjs-pino's AsyncLocalStorage) names the
   * dropped stream's request.
   */
  private readonly context = new AsyncResource('ripple.stream');

  constructor(
    private readonly writer: SseWriterInterceptor,
    /** The platform's request: the guards' grant is keyed by it. */
    private readonly request: object,
    private readonly address: string,
    private readonly place: Place,
    /** Nest's side, until the stream is answered (or refused, or left): then let go. */
    private subscriber: OpeningSink | undefined,
    /** The platform's response, until then too (for nothingToSend). */
    private reply: PlatformResponse | undefined,
  ) {}

  /** The stream was answered with its headers (not a HEAD): only then does its end count. */
  private opened = false;

  get answered(): boolean {
    return this.subscriber === undefined;
  }

  /**
   * The stream was answered: `opened` for a stream, or not for a HEAD, which ended at once.
   * Nest is done with the request.
   */
  answer(opened: boolean): void {
    this.opened = opened;
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.reply = undefined;
    subscriber?.next(OWNED_BY_RIPPLE);
    subscriber?.complete();
  }

  /** It failed before its answer: refused, with the error's status. False if it was answered. */
  refuse(err: unknown): boolean {
    const subscriber = this.subscriber;
    if (!subscriber) {
      return false;
    }
    this.subscriber = undefined;
    this.reply = undefined;
    this.writer.metrics.streamRefused(refusalOf(err));
    this.place.release();
    subscriber.error(err);
    return true;
  }

  /** Nest's subscriber left before the answer; false if it was answered. */
  leave(): boolean {
    if (!this.subscriber) {
      return false;
    }
    this.subscriber = undefined;
    this.reply = undefined;
    return true;
  }

  dropped(reason: DropReason, backlogBytes: number): void {
    this.writer.stats.dropped(reason);
    this.context.runInAsyncScope(logDrop, this, reason, backlogBytes);
  }

  logDrop(reason: DropReason, backlogBytes: number): void {
    inRequestScope(this.request, () =>
      this.writer.logger.warn(SLOW_CONSUMER_DROPPED(reason, backlogBytes, this.address)),
    );
  }

  ended(reason: StreamEndReason): void {
    this.place.release();
    if (this.opened) {
      this.writer.metrics.streamClosed(this.writer.endReason(reason, this.request));
    }
    // The client left before the stream was answered: Nest sends nothing to it.
    const subscriber = this.subscriber;
    const reply = this.reply;
    this.subscriber = undefined;
    this.reply = undefined;
    if (subscriber && reply) {
      subscriber.next(nothingToSend(reply));
    }
    subscriber?.complete();
  }

  delivered(topic: string): void {
    this.writer.metrics.delivered(topic, 1);
  }
}

function handleOf(source: CallHandler<MessageEvent>): Observable<MessageEvent> {
  return source.handle();
}

function logDrop(this: StreamReport, reason: DropReason, backlogBytes: number): void {
  this.logDrop(reason, backlogBytes);
}

/** Who waits for a stream's answer: Nest's subscriber (`write`), or a Promise's (`opening`). */
type OpeningSink = Pick<Subscriber<StreamableFile>, 'next' | 'error' | 'complete'>;

function noop(): void {}

/**
 * `keep-alive` only where the connection outlives the stream: not for a client that asked to
 * close, nor for one without chunked encoding (HTTP/1.0), whose body ends with the connection.
 * Node decides so for its own responses; a header set here overrides it, so it must agree.
 */
function connectionHeader(response: ServerResponse): 'keep-alive' | 'close' {
  return response.shouldKeepAlive && response.useChunkedEncodingByDefault ? 'keep-alive' : 'close';
}

/**
 * What Nest is given for a client that left before its stream opened: an empty, ended body. On
 * Fastify the reply is left alone as well: Fastify would send that body to a closed response, fail
 * ("Premature close"), and Nest would log the failure, once for each of the hundreds of streams
 * a client may pipeline on a connection it then drops.
 */
function nothingToSend(reply: PlatformResponse): StreamableFile {
  if (isFastifyReply(reply)) {
    leaveToRipple(reply);
  }
  return new StreamableFile(Readable.from([]));
}

/** Why Nest's body of a stream "failed": it did not, Ripple writes the response itself. */
const WRITTEN_BY_RIPPLE = new Error('The response is written by Ripple');

/**
 * What Nest is given for a stream that opened: a StreamableFile whose body has failed already,
 * with an error handler that does nothing. Nest hands a failed body to its error handler rather
 * than piping it, so it leaves the response to the connection, and holds nothing of the request
 * while the stream is open (a body piped into the response would hold Nest's pipe and listeners,
 * and the body, for the stream's life). One for every stream: a failed stream stays failed
 * (destroying it again does nothing), and a storm of openings need not make and fail a stream each.
 */
const OWNED_BY_RIPPLE = ownedByRipple();

function ownedByRipple(): StreamableFile {
  const body = new Readable({ read: () => undefined });
  const file = new StreamableFile(body).setErrorHandler(() => undefined);
  body.destroy(WRITTEN_BY_RIPPLE);
  return file;
}

/**
 * Fastify sends a reply itself once the handler is done, and Nest then sends what it was given
 * (the StreamableFile above) through the reply: a hijacked reply is left to whoever hijacked it,
 * and its send() is made a no-op, since Fastify's would only log that the reply was sent already.
 */
function leaveToRipple(reply: FastifyReplyLike): void {
  reply.hijack();
  Object.defineProperty(reply, 'send', { value: sentByRipple });
}

function sentByRipple(this: FastifyReplyLike): FastifyReplyLike {
  return this;
}

/** A stream that failed before it opened: refused as asked (4xx), or because it could not run. */
function refusalOf(err: unknown): StreamRefusal {
  return err instanceof HttpException && err.getStatus() < 500 ? 'invalid' : 'unavailable';
}
