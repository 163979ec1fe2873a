import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ClockProducer } from './builtin/clock.producer.js';
import { SystemProducer } from './builtin/system.producer.js';
import { TickerProducer } from './builtin/ticker.producer.js';
import { LEADER_LOCK } from './leader/leader-lock.interface.js';
import { leaderLockProvider } from './leader/leader-lock.providers.js';
import { ProducerRunner } from './producer-runner.service.js';
import { ConfigurableProducersModule } from './producers.module-definition.js';
import { AsyncDemoController } from './seed/async-demo.controller.js';

/**
 * Runs the `@Producer()` classes of the whole application (the built-in clock, ticker and system,
 * and any listed in another module's providers) and serves the seed demo at `GET /async`.
 * Publishes through `SseHub`, which a global `SseModule` provides.
 *
 * @example ProducersModule.forRoot({ enabled: ['clock'], instanceId: 'a' })
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [AsyncDemoController],
  providers: [leaderLockProvider, ProducerRunner, ClockProducer, TickerProducer, SystemProducer],
  exports: [LEADER_LOCK],
})
export class ProducersModule extends ConfigurableProducersModule {}
