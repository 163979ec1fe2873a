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

/** A log line as pino writes it (src/ops/logging). */
export interface JsonLogLine {
  level: string;
  time: string;
  msg?: string;
  context?: string;
  reqId?: string;
  req?: { id: string; method: string; url: string; headers: Record<string, string> };
  res?: { statusCode: number; headers: Record<string, string> };
  err?: { message: string; stack?: string };
  [field: string]: unknown;
}

/** Every line of a process's output, each parsed as JSON; throws naming the first that is not. */
export function parseJsonLines(output: string): JsonLogLine[] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      try {
        const parsed = JSON.parse(line) as unknown;
        if (typeof parsed !== 'object' || parsed === null) {
          throw new Error('not an object');
        }
        return parsed as JsonLogLine;
      } catch {
        throw new Error(`a log line that is not a JSON object: ${line}`);
      }
    });
}

/**
 * A process's output as a person reads it: JSON lines as `level [context] message error`, other
 * lines as they are, so that a test can match what was said whatever the format.
 */
export function readableLog(output: string): string {
  return output
    .split('\n')
    .map((line) => {
      try {
        const { level, context, msg, message, err, error } = JSON.parse(line) as Record<
          string,
          any
        >;
        const why = (err ?? error)?.message as string | undefined;
        return [level, context && `[${context}]`, msg ?? message, why].filter(Boolean).join(' ');
      } catch {
        return line;
      }
    })
    .join('\n');
}
