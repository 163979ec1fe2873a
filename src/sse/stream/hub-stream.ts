import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';

/**
 * What `SseHub.stream()` returns: an Observable of MessageEvents, as any streaming route returns.
 * A route declared with `@RippleSse()` that returns it as it is (not piped through operators of
 * its own) marks it, and only then may Ripple's writer take its live events directly: operators
 * the handler added would otherwise be skipped. (Piping returns a plain Observable.)
 */
export class HubStream extends Observable<MessageEvent> {
  returnedAsIs = false;
}

/** `@RippleSse()` marks what its handler returned, once the handler has returned it. */
export function markReturnedAsIs(result: unknown): unknown {
  if (result instanceof HubStream) {
    result.returnedAsIs = true;
  }
  return result;
}
