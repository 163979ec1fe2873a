import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { requestIdOf } from '../ops/logging/log-redaction.js';
import {
  EXPECTATION_FAILED,
  HEADERS_TOO_LARGE,
  HEADERS_TOO_SLOW,
  MALFORMED_REQUEST,
} from './http.messages.js';

/**
 * A request Node's parser refuses never reaches Express: Node answers it itself, with a bare
 * status line. Here it gets what every other refusal gets, a JSON body and an `X-Request-Id`
 * (the id a client or a proxy log can quote), and the connection is closed as Node would.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    // Nothing may be written after a response that has begun, nor on a socket that is gone.
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      socket.write(clientErrorAnswer(err.code));
    }
    socket.destroy();
  });
  // An `Expect` other than 100-continue is refused by Node before Express sees the request too.
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify({
      statusCode: 417,
      error: STATUS_CODES[417],
      message: EXPECTATION_FAILED(),
    });
    response.writeHead(417, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Request-Id': requestIdOf(request.headers['x-request-id']),
    });
    response.end(body);
  });
}

/** The whole raw answer to a request the parser refused, by the parser's error code. */
export function clientErrorAnswer(code: string | undefined): string {
  const [statusCode, message] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, HEADERS_TOO_LARGE()]
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, HEADERS_TOO_SLOW()]
        : [400, MALFORMED_REQUEST()];
  const error = STATUS_CODES[statusCode] ?? 'Bad Request';
  const body = JSON.stringify({ statusCode, error, message });
  return [
    `HTTP/1.1 ${statusCode} ${error}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${randomUUID()}`,
    '',
    body,
  ].join('\r\n');
}
