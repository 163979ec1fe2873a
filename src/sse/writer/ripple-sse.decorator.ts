import { applyDecorators, Get, UseInterceptors } from '@nestjs/common';
import { markReturnedAsIs } from '../stream/hub-stream.js';
import { SseWriterInterceptor } from './sse-writer.interceptor.js';

/**
 * Declares a streaming route, as `@Sse()` does: the method returns an Observable of
 * MessageEvents (such as `SseHub.stream()`). Ripple's writer sends it, with a bounded backlog per
 * client and frames encoded once for all clients. When the method returns `hub.stream(...)` as
 * it is, a one-topic stream's live events are written from the topic's fan-out, past the
 * Observable: interceptors on the route still see the opening, control messages and the end,
 * but not each live event (pipe the stream in the handler to see them all).
 * `hub.stream()` also works under plain `@Sse()`.
 */
export function RippleSse(path?: string): MethodDecorator {
  return applyDecorators(MarkReturnedStream(), Get(path), UseInterceptors(SseWriterInterceptor));
}

/**
 * Wraps the handler to mark what it returns (see HubStream). Nest reads a route's metadata from
 * the handler function, so what decorators applied before this one put there moves along.
 */
function MarkReturnedStream(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const handler = descriptor.value as (...args: unknown[]) => unknown;
    const marking = function (this: unknown, ...args: unknown[]): unknown {
      const result = handler.apply(this, args);
      return result instanceof Promise ? result.then(markReturnedAsIs) : markReturnedAsIs(result);
    };
    for (const key of Reflect.getOwnMetadataKeys(handler)) {
      Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, handler), marking);
    }
    Object.defineProperty(marking, 'name', { value: handler.name });
    descriptor.value = marking;
  };
}
