import { Module, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
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
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  configure(): void {
    // Every request, as the platform's own middleware rather than through Nest's consumer: Nest
    // wraps each of those in a layer that matches the request's path against a pattern, checks
    // its method and records it in a WeakSet, which a reconnect storm pays for every opening
    // (docs/performance.md, "S: a fourth round"). Mounted here, while Nest configures its
    // modules, so it comes after what the application mounted before (the front door) and
    // before every module's consumer middleware (CORS, whose refusals it logs) and the routes.
    this.adapterHost.httpAdapter.use(logRequest);
  }
}
