import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import { rippleConfig, type RippleConfig } from '../../config/ripple.config.js';
import { logDestination } from './log-destination.js';
import { resolveLogFormat } from './log-format.js';
import { pinoHttpOptions } from './pino-options.js';
import { logRequest } from './request-log.js';

/**
 * Structured logs through pino: a line per request (with its id), and every `new Logger(...)` of
 * the application once main.ts hands Nest's logger to nestjs-pino.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [rippleConfig.KEY],
      useFactory: async (config: RippleConfig): Promise<Params> => {
        const format = resolveLogFormat(config.logging, process.stdout.isTTY === true);
        return {
          pinoHttp: [
            pinoHttpOptions(config.logging.level, config.instanceId),
            await logDestination(format),
          ],
          // pino-http builds the root logger; the line per request is logRequest's.
          forRoutes: [],
        };
      },
    }),
  ],
})
export class LoggingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every route. Not nestjs-pino's own `{/*splat}` (kept unslashed for a global prefix, which
    // the service has none of): Fastify's middleware runs it for `/` alone.
    consumer.apply(logRequest).forRoutes({ path: '/{*splat}', method: RequestMethod.ALL });
  }
}
