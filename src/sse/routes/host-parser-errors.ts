import { HttpException, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { SSE_ROUTES } from '../sse.constants.js';
import type { ResolvedSseRoutes } from '../sse-options.interface.js';
import { isParserError, parserErrorMessage } from './parser-error.js';
import { answerJsonError } from './sse-exception.filter.js';

/**
 * A host's body parser (Nest's default JSON one, 100 kB) reads a publish before any of the
 * module's code runs, and its refusals (413, malformed JSON) go straight to the host's error
 * handler, past the module's filter. This Express error middleware answers them on the publish
 * route in the module's shape. Registered once the routes are (onModuleInit runs after Nest has
 * mounted them and before its own error handler), so it sees only what no route took.
 */
@Injectable()
export class HostParserErrors implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SSE_ROUTES) private readonly routes: ResolvedSseRoutes,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') {
      return;
    }
    // The host's global prefix, if any, is not known here: any prefix matches.
    const publishPath = new RegExp(`(?:^|/)${escape(this.routes.path)}/[^/]+/?$`);
    adapter.use((err: unknown, request: Request, response: Response, next: NextFunction) => {
      if (isParserError(err) && request.method === 'POST' && publishPath.test(request.path)) {
        answerJsonError(response, new HttpException(parserErrorMessage(err), err.status));
      } else {
        next(err);
      }
    });
  }
}

function escape(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
