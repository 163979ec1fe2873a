import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';

/**
 * What `SseHub.stream()` returns: an Observable of MessageEvents, as any streaming route returns.
 * Ripple's writer may take its live events directly only when `@RippleSse()` allows it: the
 * handler returned the stream as it is (not piped through operators of its own; piping returns a
 * plain Observable), and no interceptor that needs each event sits between the handler and the
 * writer. Either would otherwise be skipped.
 */
export class HubStream extends Observable<MessageEvent> {
  fastPathAllowed = false;
}

/** `@RippleSse()` marks what its handler returned, once the handler has returned it. */
export function allowFastPath(result: unknown): unknown {
  if (result instanceof HubStream) {
    result.fastPathAllowed = true;
  }
  return result;
}
