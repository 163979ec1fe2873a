import { Logger } from '@nestjs/common';
import { destination, type DestinationStream } from 'pino';
import type { LogFormat } from './log-format.js';
import { PRETTY_UNAVAILABLE } from './logging.messages.js';

/**
 * Where log lines go: stdout, written synchronously so that nothing is lost when the process
 * exits right after a line (a refused start, the end of a shutdown). Pretty lines are formatted
 * by pino-pretty, a devDependency: loaded only when asked for, so production never needs it. Its
 * formatter is used in line rather than its stream, whose transform would lose the last lines
 * before an exit.
 */
export async function logDestination(format: LogFormat): Promise<DestinationStream> {
  const stdout = destination({ dest: 1, sync: true });
  if (format === 'pretty') {
    try {
      const { default: pinoPretty } = await import('pino-pretty');
      const prettify = pinoPretty.prettyFactory({
        colorize: process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,instance,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
      });
      return { write: (line: string) => stdout.write(prettify(line)) };
    } catch (err) {
      new Logger('Logging').warn(
        PRETTY_UNAVAILABLE(err instanceof Error ? err.message : String(err)),
      );
    }
  }
  return stdout;
}
