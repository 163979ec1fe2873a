import type { IncomingMessage, ServerResponse } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { levelOf } from './pino-options.js';
import { inRequestScope } from '../../sse/index.js';
import { assignRequestId } from './request-id.middleware.js';

/** When the response's request came in (epoch ms); -1 once its line is written. */
const STARTED = Symbol('ripple.requestStarted');

type LoggedRequest = IncomingMessage & { id?: string; readableAborted?: boolean };
type LoggedResponse = ServerResponse & { [STARTED]?: number; req: LoggedRequest };

/**
 * One line per request when its response ends (for a stream: once, when it closes), as pino-http
 * writes it (`reqId`, `req`, `res`, `responseTime`, through the root logger's serializers), and the
 * request's id on every line logged while the middleware and routing handle it (its scope,
 * src/sse/http/request-scope.ts, which the root logger's mixin reads: request-context.ts).
 *
 * pino-http itself builds two child loggers (one the other's prototype), two arrays and a closure
 * for every request, eagerly, and an open stream would keep them as long as it runs. This keeps
 * the start time and one listener shared by every response.
 */
export function logRequest(
  request: LoggedRequest,
  response: LoggedResponse,
  next: () => void,
): void {
  if (request.id === undefined) {
    assignRequestId(request, response);
  }
  response[STARTED] = Date.now();
  // Read now, while the socket is open, so that a line written after it closed still has it.
  void request.socket?.remoteAddress;
  // 'close' follows 'finish' (in the next tick) and ends every response, whatever its end.
  response.on('close', responseDone);
  response.on('error', responseDone);
  inRequestScope(request, next);
}

/** The response's end (closed, or failed), whichever comes first: its line, once. */
function responseDone(this: LoggedResponse, err?: Error): void {
  logLine(this, err);
}

function logLine(response: LoggedResponse, err?: Error): void {
  const started = response[STARTED] ?? -1;
  response.off('close', responseDone);
  response.off('error', responseDone);
  if (started < 0) {
    return;
  }
  response[STARTED] = -1;
  const request = response.req;
  const level = levelOf(request, response, err);
  if (level === 'silent') {
    return;
  }
  const log = PinoLogger.root;
  const responseTime = Date.now() - started;
  const error =
    err ??
    (response.statusCode >= 500
      ? new Error(`failed with status code ${response.statusCode}`)
      : undefined);
  if (error) {
    log[level](
      { reqId: request.id, req: request, res: response, err: error, responseTime },
      'request errored',
    );
    return;
  }
  log[level](
    { reqId: request.id, req: request, res: response, responseTime },
    !request.readableAborted && response.writableEnded ? 'request completed' : 'request aborted',
  );
}
