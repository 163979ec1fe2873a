import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { StreamRoute } from './resumable-stream.js';
import type { StreamExpiry } from './stream-control.js';

/**
 * What `SseHub.stream()` returns: an Observable of MessageEvents, as any streaming route returns.
 * What Ripple's writer may do with it is what `@RippleSse()` allows, for the handler returned the
 * stream as it is (not piped through operators of its own; piping returns a plain Observable):
 * - take its live events directly, when no interceptor between the handler and the writer needs
 *   each event (else they would skip it);
 * - hold the whole stream from its opening, past the Observable, when none needs more than the
 *   opening (else it would miss the rest, the end above all).
 */
export class HubStream extends Observable<MessageEvent> implements StreamRoute {
  fastPathAllowed = false;
  handOverAllowed = false;
  /** Set by a route that ends the stream at a given time (a token's expiry), before it opens. */
  expiry: StreamExpiry | undefined = undefined;
}

/** `@RippleSse()` marks what its handler returned, once the handler has returned it. */
export function allowFastPath(result: unknown, handOver: boolean): unknown {
  if (result instanceof HubStream) {
    result.fastPathAllowed = true;
    result.handOverAllowed = handOver;
  }
  return result;
}
