import { Controller, Get, Inject, NotFoundException, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Registry } from 'prom-client';
import { rippleConfig } from '../../config/ripple.config.js';
import { NO_ROUTE } from './metrics.messages.js';

/**
 * `GET /metrics` on the main port, only with `RIPPLE_METRICS_PORT=main`; otherwise the answer is
 * the 404 of a route that does not exist, and the metrics listener serves them (MetricsServer).
 */
@Controller('metrics')
export class MetricsController {
  private readonly onMainPort: boolean;

  constructor(
    private readonly registry: Registry,
    @Inject(rippleConfig.KEY) config: ConfigType<typeof rippleConfig>,
  ) {
    this.onMainPort = config.metricsPort === 'main';
  }

  @Get()
  metrics(@Res({ passthrough: true }) response: HeaderSetter): Promise<string> {
    if (!this.onMainPort) {
      // Exactly what a missing route answers: not even its Content-Type tells them apart.
      throw new NotFoundException(NO_ROUTE('GET', '/metrics'));
    }
    response.header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE);
    return this.registry.metrics();
  }
}

/** Express's response and Fastify's reply both set a header with `header(name, value)`. */
interface HeaderSetter {
  header(name: string, value: string): unknown;
}
