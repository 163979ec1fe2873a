import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { SSE_METRICS } from '../../sse/index.js';
import { MetricsController } from './metrics.controller.js';
import { registryProvider } from './metrics.providers.js';
import { MetricsServer } from './metrics-server.service.js';
import { RippleMetrics } from './ripple-metrics.service.js';
import { StateMetrics } from './state-metrics.service.js';

/**
 * `GET /metrics` with prom-client: streams, events, latency, Redis, leader locks and the process,
 * on a listener of its own (MetricsServer) unless configured onto the main port.
 * Global, so that SseModule (which looks `SSE_METRICS` up where it is visible) reports to it, and
 * so that the application may add metrics of its own to the `Registry`.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    registryProvider,
    RippleMetrics,
    { provide: SSE_METRICS, useExisting: RippleMetrics },
    StateMetrics,
    MetricsServer,
  ],
  exports: [SSE_METRICS, Registry],
})
export class MetricsModule {}
