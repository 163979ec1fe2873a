import type { IncomingMessage } from 'node:http';
import { HttpException, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { SSE_ROUTES } from '../sse.constants.js';
import type { ResolvedSseRoutes } from '../sse-options.interface.js';
import { requestPath } from '../http/http-objects.js';
import {
  fastifyParserMessage,
  isFastifyParserError,
  isParserError,
  parserErrorMessage,
  type FastifyParserError,
} from './parser-error.js';
import { answerJsonError, jsonErrorBody } from './sse-exception.filter.js';

/**
 * A host's body parser (Nest's default JSON one, 100 kB; Fastify's, 1 MiB) reads a publish before
 * any of the module's code runs, and its refusals (413, malformed JSON) go straight to the host's
 * error handler, past the module's filter. On Express, an error middleware answers them on the
 * publish route in the module's shape: registered once the routes are (onModuleInit runs after
 * Nest has mounted them and before its own error handler), so it sees only what no route took.
 * On Fastify, whose error handler is Nest's and may be set once, two hooks do it: `onError` notes
 * a parser's refusal of a publish, and `onSend` gives its answer the module's shape.
 */
@Injectable()
export class HostParserErrors implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SSE_ROUTES) private readonly routes: ResolvedSseRoutes,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    // The host's global prefix, if any, is not known here: any prefix matches.
    const publishPath = new RegExp(`(?:^|/)${escape(this.routes.path)}/[^/]+/?$`);
    if (adapter?.getType() === 'fastify') {
      shapeFastifyParserErrors(adapter.getInstance<FastifyHooks>(), publishPath);
      return;
    }
    if (adapter?.getType() !== 'express') {
      return;
    }
    adapter.use((err: unknown, request: Request, response: Response, next: NextFunction) => {
      if (isParserError(err) && request.method === 'POST' && publishPath.test(request.path)) {
        answerJsonError(response, new HttpException(parserErrorMessage(err), err.status));
      } else {
        next(err);
      }
    });
  }
}

/** The parts of a Fastify instance used here (structural: Fastify is not imported). */
interface FastifyHooks {
  addHook(
    name: 'onError',
    hook: (request: HookRequest, reply: unknown, err: unknown) => Promise<void>,
  ): void;
  addHook(
    name: 'onSend',
    hook: (request: HookRequest, reply: HookReply, payload: unknown) => Promise<unknown>,
  ): void;
}

interface HookRequest {
  raw: IncomingMessage;
  routeOptions?: { bodyLimit?: number };
}

interface HookReply {
  header(name: string, value: string): unknown;
}

/** Fastify's own default body limit, for a route that has none of its own. */
const FASTIFY_BODY_LIMIT = 1024 * 1024;

function shapeFastifyParserErrors(instance: FastifyHooks, publishPath: RegExp): void {
  const refused = new WeakMap<HookRequest, FastifyParserError>();
  instance.addHook('onError', async (request, _reply, err) => {
    if (
      isFastifyParserError(err) &&
      request.raw.method === 'POST' &&
      publishPath.test(requestPath(request.raw))
    ) {
      refused.set(request, err);
    }
  });
  instance.addHook('onSend', async (request, reply, payload) => {
    const err = refused.get(request);
    if (err === undefined) {
      return payload;
    }
    refused.delete(request);
    const limit = request.routeOptions?.bodyLimit ?? FASTIFY_BODY_LIMIT;
    reply.header('Content-Type', 'application/json; charset=utf-8');
    return JSON.stringify(
      jsonErrorBody(new HttpException(fastifyParserMessage(err, limit), err.statusCode)),
    );
  });
}

function escape(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
