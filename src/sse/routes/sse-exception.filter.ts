import {
  Catch,
  HttpException,
  HttpStatus,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import {
  hasResponseHeader,
  rawResponse,
  sendJson,
  setResponseHeader,
  type PlatformResponse,
} from '../http/http-objects.js';
import { isParserError, parserErrorMessage } from './parser-error.js';

/** The body of every refusal. */
export interface JsonError {
  statusCode: number;
  error: string;
  message: string;
}

function messageOf(exception: HttpException): string {
  // A host's body parser failed, and Nest made an HttpException of it with its own wording.
  if (isParserError(exception.cause)) {
    return parserErrorMessage(exception.cause);
  }
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.join('; ');
  }
  return typeof message === 'string' ? message : exception.message;
}

/** `exception` as the module's JSON shape. */
export function jsonErrorBody(exception: HttpException): JsonError {
  const statusCode = exception.getStatus();
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Client Error'),
    message: messageOf(exception),
  };
}

/** Answers `exception` as `{"statusCode", "error", "message"}`, unless the response is under way. */
export function answerJsonError(response: PlatformResponse, exception: HttpException): void {
  const statusCode = exception.getStatus();
  const raw = rawResponse(response);
  if (raw.headersSent) {
    // A stream already under way cannot change its status; end it so the client reconnects.
    raw.end();
    return;
  }
  const body = jsonErrorBody(exception);
  if (
    statusCode === HttpStatus.SERVICE_UNAVAILABLE &&
    !hasResponseHeader(response, 'retry-after')
  ) {
    setResponseHeader(response, 'Retry-After', '1');
  }
  sendJson(response, statusCode, body);
}

/**
 * Every HTTP error as `{"statusCode", "error", "message"}`. The module's routes carry it, so
 * their refusals look the same whatever the host's own filters do; an application may bind it
 * to its own `@RippleSse()` routes, or globally.
 */
@Catch(HttpException)
export class SseExceptionFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    answerJsonError(host.switchToHttp().getResponse<PlatformResponse>(), exception);
  }
}
