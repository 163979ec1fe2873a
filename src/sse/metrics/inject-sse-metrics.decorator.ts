import { Inject, Optional } from '@nestjs/common';
import { SSE_METRICS } from './sse-metrics.interface.js';

/**
 * Injects the application's `SseMetrics`, or `undefined` when it has none: give the parameter
 * `NO_SSE_METRICS` as its default.
 * @example constructor(@InjectSseMetrics() private readonly metrics: SseMetrics = NO_SSE_METRICS) {}
 */
export const InjectSseMetrics =
  (): ParameterDecorator =>
  (target, key, index): void => {
    Optional()(target, key, index);
    Inject(SSE_METRICS)(target, key, index);
  };
