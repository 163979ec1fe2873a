import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { HubHealthIndicator } from './hub.health.js';
import { BackendHealthIndicator } from './backend.health.js';

/**
 * `/health/live`, `/health/ready` and `/health`. Terminus's own logger is off: it would log an
 * error per failed probe, every few seconds for as long as Redis is away, where Ripple logs the
 * outage once.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HubHealthIndicator, BackendHealthIndicator],
})
export class HealthModule {}
