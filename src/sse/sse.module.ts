import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CorsMiddleware } from './auth/cors.middleware.js';
import { PrivateTopics } from './auth/private-topics.service.js';
import { TokenService } from './auth/token.service.js';
import { EventsController } from './events.controller.js';
import { SseHub } from './sse-hub.service.js';
import { ConfigurableSseModule } from './sse.module-definition.js';
import { SSE_BACKEND } from './backend/sse-backend.interface.js';
import { optionsProvider, seamProviders } from './sse.providers.js';
import { TopicStats } from './topics/topic-stats.service.js';
import { TopicsController } from './topics/topics.controller.js';
import { ConnectionLimiter } from './flow/connection-limiter.service.js';
import { FlowStats } from './flow/flow-stats.service.js';
import { SSE_OPTIONS } from './sse.constants.js';
import { SseWriterInterceptor } from './writer/sse-writer.interceptor.js';

/**
 * Server-sent events with resume: `SseModule.forRoot({...})` or `forRootAsync({ useFactory })`
 * gives `SseHub`, `GET /events`, `POST /events/:topic` and `GET /topics`. The `auth` option says
 * who may publish and subscribe; `corsOrigins` which browser origins may use the two event routes.
 */
@Module({
  controllers: [EventsController, TopicsController],
  providers: [
    optionsProvider,
    ...seamProviders,
    TopicStats,
    SseHub,
    TokenService,
    PrivateTopics,
    ConnectionLimiter,
    FlowStats,
    SseWriterInterceptor,
  ],
  // The backend serves the producers' leader lock and the application's health and metrics; the
  // writer's parts serve @RippleSse() routes in the application's own controllers.
  exports: [SseHub, SSE_BACKEND, SSE_OPTIONS, ConnectionLimiter, FlowStats, SseWriterInterceptor],
})
export class SseModule extends ConfigurableSseModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every method, so that preflight OPTIONS requests reach it too.
    consumer
      .apply(CorsMiddleware)
      .forRoutes(
        { path: 'events', method: RequestMethod.ALL },
        { path: 'events/:topic', method: RequestMethod.ALL },
      );
  }
}
