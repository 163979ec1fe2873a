import { Module } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import { rippleConfig, type RippleConfig } from '../../config/ripple.config.js';
import { logDestination } from './log-destination.js';
import { resolveLogFormat } from './log-format.js';
import { pinoHttpOptions } from './pino-options.js';

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
        };
      },
    }),
  ],
})
export class LoggingModule {}
