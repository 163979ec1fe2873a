import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LEADER_LOCK } from './producers.constants.js';
import { leaderLockProvider } from './leader/leader-lock.providers.js';
import { ProducerRunner } from './producer-runner.service.js';
import { ConfigurableProducersModule } from './producers.module-definition.js';

/**
 * Runs the `@Producer()` classes listed in the providers of any module of the application, those
 * whose names `enabled` lists. Publishes through `SseHub`, which a global `SseModule` provides.
 *
 * @example ProducersModule.forRoot({ enabled: ['prices'], instanceId: 'a' })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [leaderLockProvider, ProducerRunner],
  exports: [LEADER_LOCK],
})
export class ProducersModule extends ConfigurableProducersModule {}
