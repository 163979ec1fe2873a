import {
  Inject,
  Module,
  RequestMethod,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { CorsMiddleware } from './routes/cors.middleware.js';
import { PrivateTopics } from './auth/private-topics.service.js';
import { TokenService } from './auth/token.service.js';
import { SseHub } from './sse-hub.service.js';
import { ConfigurableSseModule } from './sse.module-definition.js';
import { SSE_BACKEND } from './backend/sse-backend.interface.js';
import { optionsProvider, seamProviders } from './sse.providers.js';
import { TopicStats } from './topics/topic-stats.service.js';
import { ConnectionLimiter } from './flow/connection-limiter.service.js';
import { FlowStats } from './flow/flow-stats.service.js';
import { SSE_OPTIONS, SSE_ROUTES } from './sse.constants.js';
import type { ResolvedSseRoutes } from './sse-options.interface.js';
import { SseWriterInterceptor } from './writer/sse-writer.interceptor.js';

/**
 * Server-sent events with resume: `SseModule.forRoot({...})` or `forRootAsync({ useFactory })`
 * gives `SseHub`; with `routes: { path }`, also the stream (`GET /<path>`), publish
 * (`POST /<path>/:topic`) and topics list routes. The `auth` option says who may publish and
 * subscribe; `corsOrigins` which browser origins may use the stream and publish routes.
 */
@Module({
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
  constructor(@Inject(SSE_ROUTES) private readonly routes: ResolvedSseRoutes | false) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.routes === false) {
      return;
    }
    const { path, topicsPath } = this.routes;
    // Every method, so that preflight OPTIONS requests reach it too; not the topics list, which
    // `<path>/:topic` matches when it is mounted under the path. Excluded only then: an exclusion
    // costs every request through the middleware a parse and a match of its URL.
    const underPath = topicsPath !== false && topicsPath.startsWith(`${path}/`);
    consumer
      .apply(CorsMiddleware)
      .exclude(...(underPath ? [{ path: topicsPath, method: RequestMethod.GET }] : []))
      .forRoutes(
        { path, method: RequestMethod.ALL },
        { path: `${path}/:topic`, method: RequestMethod.ALL },
      );
  }
}
