import {
  Catch,
  HttpException,
  HttpStatus,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { BODY_NOT_VALID_JSON, BODY_TOO_LARGE } from './http.messages.js';

export interface JsonError {
  statusCode: number;
  error: string;
  message: string;
}

/** Body-parser errors as Nest maps them: the cause says which. */
function messageOf(exception: HttpException): string {
  const cause = exception.cause as { type?: string; limit?: number; message?: string } | undefined;
  if (cause?.type === 'entity.parse.failed') {
    return BODY_NOT_VALID_JSON(cause.message ?? 'parse error');
  }
  if (cause?.type === 'entity.too.large' && typeof cause.limit === 'number') {
    return BODY_TOO_LARGE(cause.limit);
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

/**
 * Every HTTP error as `{"statusCode", "error", "message"}`, whether a controller threw it or the
 * body parser did (Nest answers the latter without `error`, and with body-parser's own wording).
 */
@Catch(HttpException)
export class JsonExceptionFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const statusCode = exception.getStatus();
    if (response.headersSent) {
      // A stream already under way cannot change its status; end it so the client reconnects.
      response.end();
      return;
    }
    const body: JsonError = {
      statusCode,
      error: STATUS_CODES[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Client Error'),
      message: messageOf(exception),
    };
    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE && !response.hasHeader('retry-after')) {
      response.setHeader('Retry-After', '1');
    }
    response.status(statusCode).json(body);
  }
}
