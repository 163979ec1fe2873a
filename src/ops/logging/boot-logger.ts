import { ConsoleLogger, type LoggerService, type LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogLevel, LogSettings } from '../../config/ripple.config.js';
import { resolveLogFormat } from './log-format.js';

/** Nest's levels at and above each of pino's. */
const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  silent: [],
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * The logger until pino takes over: it holds the lines logged while the application is built,
 * and prints them only if the build fails (a refused configuration), in the format and at the
 * level pino would have used, so that even that line is JSON in production.
 */
export function bootLogger(settings: LogSettings): LoggerService {
  return new ConsoleLogger({
    json: resolveLogFormat(settings, process.stdout.isTTY === true) === 'json',
    logLevels: NEST_LEVELS[settings.level],
  });
}
