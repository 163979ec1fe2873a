import { applyDecorators, Get, UseInterceptors } from '@nestjs/common';
import { SseWriterInterceptor } from './sse-writer.interceptor.js';

/**
 * Declares a streaming route, as `@Sse()` does: the method returns an Observable of
 * MessageEvents (such as `SseHub.stream()`). Ripple's writer sends it, with a bounded backlog per
 * client and frames encoded once for all clients. `hub.stream()` also works under plain `@Sse()`.
 */
export function RippleSse(path?: string): MethodDecorator {
  return applyDecorators(Get(path), UseInterceptors(SseWriterInterceptor));
}
