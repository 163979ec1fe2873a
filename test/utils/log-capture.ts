import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line, for tests that assert what is (not) logged. */
export class LogCapture implements LoggerService {
  readonly lines: { level: string; message: string; context?: string }[] = [];

  log(message: unknown, context?: string): void {
    this.add('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.add('error', message, rest.at(-1) as string | undefined);
  }
  warn(message: unknown, context?: string): void {
    this.add('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.add('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.add('verbose', message, context);
  }

  matching(pattern: RegExp): string[] {
    return this.lines.map((line) => line.message).filter((message) => pattern.test(message));
  }

  private add(level: string, message: unknown, context?: string): void {
    this.lines.push({
      level,
      message: typeof message === 'string' ? message : String(message),
      context,
    });
  }
}
