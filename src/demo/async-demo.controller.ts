import { Controller, type MessageEvent } from '@nestjs/common';
import { Observable, concat, map, of, timer } from 'rxjs';
import { RippleSse } from '../sse/index.js';

/** The pause between the two values, as in the seed. */
export const ASYNC_DEMO_DELAY_MS = 1000;

/**
 * The seed demo, a Ring/core.async handler in the original: a value, a second later another,
 * then an end marker the client closes on. The response ends when the Observable completes; a
 * client that leaves early unsubscribes, which clears the timer. Ripple's writer rather than Nest's
 * `@Sse()`, which answers an HTTP/1.0 or `Connection: close` client with `keep-alive`.
 */
@Controller()
export class AsyncDemoController {
  @RippleSse('async')
  demo(): Observable<MessageEvent> {
    return concat(
      of({ data: { val: 42 } }),
      timer(ASYNC_DEMO_DELAY_MS).pipe(map(() => ({ data: { val: 100 } }))),
      of({ data: { msg: 'end' } }),
    );
  }
}
