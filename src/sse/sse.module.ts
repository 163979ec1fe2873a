import { Module } from '@nestjs/common';
import { EventsController } from './events.controller.js';
import { SseHub } from './sse-hub.service.js';
import { ConfigurableSseModule } from './sse.module-definition.js';
import { optionsProvider, seamProviders } from './sse.providers.js';
import { TopicStats } from './topics/topic-stats.service.js';
import { TopicsController } from './topics/topics.controller.js';

/**
 * Server-sent events with resume: `SseModule.forRoot({...})` or `forRootAsync({ useFactory })`
 * gives `SseHub`, `GET /events`, `POST /events/:topic` and `GET /topics`.
 */
@Module({
  controllers: [EventsController, TopicsController],
  providers: [optionsProvider, ...seamProviders, TopicStats, SseHub],
  exports: [SseHub],
})
export class SseModule extends ConfigurableSseModule {}
