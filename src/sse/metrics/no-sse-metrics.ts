import type { SseMetrics } from './sse-metrics.interface.js';

/** Records nothing: SseModule's metrics when the application provides none. */
export const NO_SSE_METRICS: SseMetrics = Object.freeze({
  streamOpened: () => undefined,
  streamClosed: () => undefined,
  streamRefused: () => undefined,
  published: () => undefined,
  delivered: () => undefined,
  fannedOut: () => undefined,
});
