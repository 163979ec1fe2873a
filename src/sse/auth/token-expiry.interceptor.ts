import {
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable, defer, map, switchMap, timer } from 'rxjs';
import { OpeningOnly, RippleFastPathSafe } from '../stream/fast-path-safe.decorator.js';
import type { HubStream } from '../stream/hub-stream.js';
import {
  streamControlOf,
  type StreamControl,
  type StreamExpiry,
} from '../stream/stream-control.js';
import { STREAM_TOKEN_EXPIRED } from './auth.messages.js';
import { markGrantExpired, requestGrant } from './request-grant.js';

/** The last event of a stream whose token expired: the client should come back with a new one. */
export const TOKEN_EXPIRED_EVENT_TYPE = 'ripple.token-expired';

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Ends a stream of private topics when the token that opened it expires. The guard left the grant
 * on the request; a stream without one (public topics, or a token without `exp`) runs on.
 * It needs no live event (the stream's control knows the cursor), so it keeps the fast path on;
 * and it hands the expiry to a hub stream at its opening, so the writer may hold the stream past it.
 */
@Injectable()
@RippleFastPathSafe()
@OpeningOnly()
export class TokenExpiryInterceptor implements NestInterceptor<MessageEvent, MessageEvent> {
  private readonly logger = new Logger(TokenExpiryInterceptor.name);

  intercept(context: ExecutionContext, next: CallHandler<MessageEvent>): Observable<MessageEvent> {
    const expiry = tokenExpiry(context.switchToHttp().getRequest<object>(), this.logger);
    const stream = next.handle();
    return expiry ? endAtExpiry(stream, expiry.at, expiry.onEnd) : stream;
  }
}

/**
 * The same for a route that writes its hub stream itself, with no interceptor (the built-in
 * `GET /events`): the stream is given its token's expiry before it opens.
 */
export function endAtTokenExpiry(stream: HubStream, request: object, logger: Logger): HubStream {
  stream.expiry = tokenExpiry(request, logger);
  return stream;
}

/** When the request's token expires, if it does, and what its stream's end then records. */
function tokenExpiry(request: object, logger: Logger): StreamExpiry | undefined {
  const at = requestGrant(request)?.expiresAt;
  if (at === undefined) {
    return undefined;
  }
  const onEnd = () => {
    markGrantExpired(request);
    logger.debug(STREAM_TOKEN_EXPIRED());
  };
  return { at, last: tokenExpired, onEnd };
}

/**
 * `source` until the wall clock reaches `expiresAt` (epoch ms), then one `ripple.token-expired`
 * event and the end. The event carries the last id the stream sent, so that it leaves the
 * client's Last-Event-ID as it was and a reconnect resumes exactly. The timer is the stream's own,
 * and goes with it however the stream ends. A hub stream is given the expiry at its opening and
 * ends itself then (its control knows the cursor, and the writer may hold it past this operator).
 */
export function endAtExpiry(
  source: Observable<MessageEvent>,
  expiresAt: number,
  onExpired: () => void = () => undefined,
): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    let lastId: string | undefined;
    // A hub stream's live events may go to the writer past this operator, and the writer may hold
    // the whole stream past it: the stream ends itself, at the cursor it knows.
    let control: StreamControl | undefined;
    const expiry = untilTime(expiresAt).subscribe(() => {
      onExpired();
      if (lastId !== undefined) {
        subscriber.next(tokenExpired(lastId));
      }
      subscriber.complete();
    });
    const events = source.subscribe({
      next: (message) => {
        if (!control) {
          control = streamControlOf(message);
          if (control) {
            expiry.unsubscribe();
            control.endAt(expiresAt, tokenExpired, onExpired);
          }
        }
        if (message.id !== undefined) {
          lastId = String(message.id);
        }
        subscriber.next(message);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => {
      expiry.unsubscribe();
      events.unsubscribe();
    };
  });
}

/** The stream's last message: its id leaves the client's Last-Event-ID as it was. */
function tokenExpired(cursor: string): MessageEvent {
  return {
    id: cursor,
    type: TOKEN_EXPIRED_EVENT_TYPE,
    data: JSON.stringify({ reason: 'token-expired' }),
  };
}

/** Emits once, when the wall clock reaches `at`, however far away that is. */
function untilTime(at: number): Observable<void> {
  return defer(() => {
    const left = at - Date.now();
    return left > MAX_TIMER_MS
      ? timer(MAX_TIMER_MS).pipe(switchMap(() => untilTime(at)))
      : timer(Math.max(0, left)).pipe(map(() => undefined));
  });
}
