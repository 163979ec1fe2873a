import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { Observable } from 'rxjs';
import { grantExpired } from '../auth/request-grant.js';
import { ConnectionLimiter } from '../flow/connection-limiter.service.js';
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
import { clientGone, onClientGone } from './client-gone.js';
import { awaitTurn } from './pipelined-turn.js';
import { SseConnection } from './sse-connection.js';

/** Seconds a refused client is told to wait: long enough to let a burst of reconnects spread. */
const RETRY_AFTER_S = 5;

/**
 * Ripple's writer for streaming routes: the handler's Observable of MessageEvents goes to the
 * socket through an SseConnection (shared encoded frames, one write per socket per turn, a bounded
 * backlog); Nest gets a StreamableFile that ends with the stream, so it still owns the response's
 * lifecycle.
 * Nest's own `@Sse()` writer costs a Promise, a Transform stream and a serialisation per event
 * per client, and queues without a byte bound; see docs/performance.md.
 */
@Injectable()
export class SseWriterInterceptor implements NestInterceptor, OnModuleDestroy {
  private readonly logger = new Logger(SseWriterInterceptor.name);
  /** Set as the shutdown begins (before the hub drains): streams that end now end for it. */
  private shuttingDown = false;

  constructor(
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
    private readonly limiter: ConnectionLimiter,
    private readonly stats: FlowStats,
    @InjectSseMetrics() private readonly metrics: SseMetrics = NO_SSE_METRICS,
  ) {}

  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<MessageEvent>,
  ): Observable<StreamableFile> {
    const http = context.switchToHttp();
    const request = http.getRequest<IncomingMessage & { ip?: string }>();
    const response = http.getResponse<ServerResponse>();
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const head = request.method === 'HEAD';
    // A drop happens in the turn of whatever overflowed the stream (another request's publish):
    // its log line runs in this request's async context, so a logger that reads the request from
    // AsyncLocalStorage (nestjs-pino) names the dropped stream's request.
    const inStreamContext = AsyncResource.bind((log: () => void) => log());

    // The handler's checks (topics, cursor, auth) fail when its Observable is subscribed, before
    // its first frame: the response is handed to Nest only then, so that until then an exception
    // filter can still answer with a status and a JSON body. The first frame (the opening `retry:`)
    // comes at once, and Nest sends the headers with it. Nothing is taken before Nest subscribes.
    return new Observable<StreamableFile>((subscriber) => {
      if (clientGone(request, response)) {
        // It hung up while the request was in middleware or guards: its `close` has fired, and
        // nothing may be taken for it (a place, a subscription) that only that close would free.
        subscriber.next(nothingToSend());
        subscriber.complete();
        return;
      }
      const begin = (): (() => void) | void => {
        // A body sent with the stream's request is read and dropped: left unread, it fills the
        // socket's buffer, Node stops reading the socket, and its client's leaving goes unseen
        // (its place held) until a heartbeat fails to write.
        request.resume();
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

        /** Whether the stream was answered with its headers: only then does its end count. */
        let opened = false;
        let answered = false;
        const connection = new SseConnection(
          response,
          {
            maxBufferBytes: this.options.maxBufferBytes,
            writeTimeoutMs: this.options.writeTimeoutMs,
            maxAgeMs: this.options.maxConnectionAgeMs,
          },
          {
            dropped: (reason, backlog) => {
              this.stats.dropped(reason);
              inStreamContext(() =>
                this.logger.warn(SLOW_CONSUMER_DROPPED(reason, backlog, address)),
              );
            },
            ended: (reason) => {
              if (opened) {
                this.metrics.streamClosed(this.endReason(reason, request));
              }
            },
            delivered: (topic) => this.metrics.delivered(topic, 1),
          },
        );
        // However and whenever the client leaves (before the first frame, mid-stream, while its
        // response waits behind a pipelined one), its place is given back and its stream ended.
        onClientGone(request, response, () => {
          place.release();
          connection.clientLeft();
          if (!answered) {
            answered = true;
            subscriber.next(nothingToSend());
            subscriber.complete();
          }
        });
        const answer = () => {
          if (!answered) {
            answered = true;
            // Only on the stream's answer: a refusal keeps the connection handling the client asked for.
            response.setHeader('Cache-Control', 'no-cache, no-transform');
            response.setHeader('X-Accel-Buffering', 'no');
            if (request.httpVersionMajor === 1) {
              response.setHeader('Connection', connectionHeader(response));
            }
            response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
            if (head) {
              // Ripple writes to the socket itself, past Node's HEAD handling: a HEAD gets the
              // headers a GET would, and Nest ends the response on the body's end.
              subscriber.next(new StreamableFile(connection.body));
              subscriber.complete();
              connection.endEmpty();
              return;
            }
            // Events are small and latency matters more than packet count.
            request.socket.setNoDelay(true);
            request.socket.setKeepAlive(true);
            opened = true;
            this.metrics.streamOpened();
            connection.open();
            subscriber.next(new StreamableFile(connection.body));
            subscriber.complete();
          }
        };
        connection.start(next.handle(), answer, (err) => {
          if (answered) {
            this.logger.error(STREAM_FAILED_LATE(), err instanceof Error ? err.stack : String(err));
          } else {
            answered = true;
            this.metrics.streamRefused(refusalOf(err));
            place.release();
            connection.body.destroy();
            subscriber.error(err);
          }
        });
        // Whoever subscribed left before the answer (an outer interceptor's timeout): end it here.
        return () => {
          if (!answered) {
            answered = true;
            place.release();
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
          subscriber.next(nothingToSend());
          subscriber.complete();
        },
        this.options.maxPipelinedStreams,
      );
    });
  }

  /** The connection knows how its stream ended; the drain and a token's expiry are known here. */
  private endReason(reason: StreamEndReason, request: object): StreamEndReason {
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
 * `keep-alive` only where the connection outlives the stream: not for a client that asked to
 * close, nor for one without chunked encoding (HTTP/1.0), whose body ends with the connection.
 * Node decides so for its own responses; a header set here overrides it, so it must agree.
 */
function connectionHeader(response: ServerResponse): 'keep-alive' | 'close' {
  return response.shouldKeepAlive && response.useChunkedEncodingByDefault ? 'keep-alive' : 'close';
}

/** What Nest is given for a client that left before its stream opened: an empty, ended body. */
function nothingToSend(): StreamableFile {
  return new StreamableFile(Readable.from([]));
}

/** A stream that failed before it opened: refused as asked (4xx), or because it could not run. */
function refusalOf(err: unknown): StreamRefusal {
  return err instanceof HttpException && err.getStatus() < 500 ? 'invalid' : 'unavailable';
}
