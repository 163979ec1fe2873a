import { applyDecorators, Get, UseInterceptors } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { isFastPathSafe } from '../stream/fast-path-safe.decorator.js';
import { allowFastPath } from '../stream/hub-stream.js';
import { SseWriterInterceptor } from './sse-writer.interceptor.js';

/**
 * Declares a streaming route, as `@Sse()` does: the method returns an Observable of
 * MessageEvents (such as `SseHub.stream()`). Ripple's writer sends it, with a bounded backlog per
 * client and frames encoded once for all clients. `hub.stream()` also works under plain `@Sse()`.
 *
 * The writer is one of the route's interceptors, and Nest nests interceptors global outermost,
 * then the controller's, then the method's, whose decorators apply bottom up (the one nearest the
 * method outermost). So:
 * - interceptors declared on the method above `@RippleSse()` sit between the handler and the
 *   writer: they see the stream's events (each one, unless marked: see the fast path below);
 * - global and controller interceptors, and the method's declared below `@RippleSse()`, sit
 *   outside the writer: they see one `StreamableFile` when the stream opens (then completion),
 *   or the error that refused it, never an event.
 *
 * The fast path: when the method returns `hub.stream(...)` as it is and every interceptor between
 * it and the writer is marked `@RippleFastPathSafe()`, a
 * one-topic stream's live events (past its first) are written from the topic's fan-out straight to
 * the socket, past the Observable: those interceptors see the opening, the replay, control
 * messages, heartbeats and the end, not each live event. Any other interceptor there turns the
 * fast path off for the route (decided on its first request), as a handler that pipes the stream
 * does for that stream: every event then goes through the Observable and its interceptors.
 *
 * Holding the stream: when no interceptor sits between the handler and the writer (as on
 * `GET /events`, which hands its stream to the writer itself), the writer takes the whole stream
 * over at its opening and leaves the Observable, so that an open stream keeps its socket and its
 * own state, not the request pipeline that opened it (see StreamControl.handOver). An interceptor
 * there, marked or not, is promised the stream's end, so its route keeps the Observable subscribed.
 */
export function RippleSse(path?: string): MethodDecorator {
  return applyDecorators(MarkReturnedStream(), Get(path), UseInterceptors(SseWriterInterceptor));
}

/**
 * Wraps the handler to mark what it returns (see HubStream) when the route allows the fast path.
 * Nest reads a route's metadata from the handler function, so what decorators applied before this
 * one put there moves along.
 */
function MarkReturnedStream(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const handler = descriptor.value as (...args: unknown[]) => unknown;
    /** Known only once every decorator of the route has run: found on its first request. */
    let fastPath: boolean | undefined;
    let handOver = false;
    const marking = function (this: unknown, ...args: unknown[]): unknown {
      if (fastPath === undefined) {
        const between = interceptorsBetweenHandlerAndWriter(marking);
        fastPath = between.every(isFastPathSafe);
        // Nothing between them: nothing was promised the stream's end.
        handOver = between.length === 0;
      }
      const result = handler.apply(this, args);
      if (!fastPath) {
        return result;
      }
      return result instanceof Promise
        ? result.then((value) => allowFastPath(value, handOver))
        : allowFastPath(result, handOver);
    };
    for (const key of Reflect.getOwnMetadataKeys(handler)) {
      Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, handler), marking);
    }
    Object.defineProperty(marking, 'name', { value: handler.name });
    descriptor.value = marking;
  };
}

/**
 * The interceptors that run between `handler` and Ripple's writer: those listed after the writer
 * in the method's interceptors (declared above `@RippleSse()`). Global and controller interceptors
 * run outside the writer and never see events.
 */
function interceptorsBetweenHandlerAndWriter(handler: object): unknown[] {
  const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[];
  return interceptors.slice(interceptors.indexOf(SseWriterInterceptor) + 1);
}
