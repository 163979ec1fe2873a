import { Catch, HttpException, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { inRequestScope, SseExceptionFilter } from '../../sse/index.js';

/**
 * The service's global filter: an HTTP error answered as the module's routes answer theirs (JSON,
 * SseExceptionFilter), and any other error as Nest answers it (a 500) and logs it, in its
 * request's scope, so that the line names the request (`reqId`) as it did when the request's id
 * was in an AsyncLocalStorage (src/sse/http/request-scope.ts says why it no longer is).
 */
@Catch()
export class ScopedErrorsFilter extends BaseExceptionFilter {
  private readonly http = new SseExceptionFilter();

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException) {
      this.http.catch(exception, host);
      return;
    }
    inRequestScope(host.switchToHttp().getRequest<object>(), () => super.catch(exception, host));
  }
}
