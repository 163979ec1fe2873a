import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What Nest hands a guard, an interceptor or a filter as the request and the response depends on
 * the platform: Express's request and response are Node's IncomingMessage and ServerResponse
 * (extended); Fastify's request and reply wrap them, as `.raw`. These functions let the module
 * serve both without importing either framework (Fastify is an optional peer, never loaded for an
 * Express application): they look for `.raw` and for the reply's own methods.
 */

/** The parts of a Fastify reply used here (structural: nothing of Fastify is imported). */
export interface FastifyReplyLike {
  raw: ServerResponse;
  code(statusCode: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  hasHeader(name: string): boolean;
  send(payload: string): unknown;
  hijack(): unknown;
  readonly sent: boolean;
}

/** An Express response, which is the ServerResponse itself, with Express's helpers. */
export interface ExpressResponseLike extends ServerResponse {
  status(code: number): ExpressResponseLike;
  json(body: unknown): unknown;
}

/** A request as either platform gives it: Node's own, or a wrapper with it as `.raw`. */
export type PlatformRequest = IncomingMessage | { raw: IncomingMessage };

/**
 * What the guards and routes read of a request, which Express's request and Fastify's both have
 * (the query and the route's parameters parsed by the platform).
 */
export interface RequestLike {
  method: string;
  headers: IncomingHttpHeaders;
  query?: Record<string, unknown>;
  params?: Record<string, string | undefined>;
  socket?: Socket;
  url?: string;
  /** Express's, for a request routed under a mount path. */
  originalUrl?: string;
  /** Fastify's: Node's request. */
  raw?: IncomingMessage;
}

export type PlatformResponse = ServerResponse | FastifyReplyLike;

export function isFastifyReply(response: unknown): response is FastifyReplyLike {
  const candidate = response as Partial<FastifyReplyLike> | null;
  return typeof candidate?.hijack === 'function' && candidate.raw !== undefined;
}

/** Node's request under the platform's. */
export function rawRequest(request: PlatformRequest): IncomingMessage {
  return 'raw' in request && request.raw !== undefined ? request.raw : (request as IncomingMessage);
}

/** Node's response under the platform's. */
export function rawResponse(response: PlatformResponse): ServerResponse {
  return isFastifyReply(response) ? response.raw : response;
}

/**
 * Sets a header for whatever answers the request: on the reply for Fastify, whose send() writes
 * its own headers over any set on the raw response with the same name.
 */
export function setResponseHeader(response: PlatformResponse, name: string, value: string): void {
  if (isFastifyReply(response)) {
    response.header(name, value);
  } else {
    response.setHeader(name, value);
  }
}

export function hasResponseHeader(response: PlatformResponse, name: string): boolean {
  return isFastifyReply(response)
    ? response.hasHeader(name) || response.raw.hasHeader(name)
    : response.hasHeader(name);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Answers with a JSON text, through the platform where there is one, so that what it adds
 * (Express's ETag, a Fastify hook's headers) is added as to any other answer. A middleware on
 * Fastify is given Node's response itself, which gets the text as it is.
 */
export function sendJson(response: PlatformResponse, statusCode: number, body: object): void {
  if (isFastifyReply(response)) {
    response.code(statusCode).header('Content-Type', JSON_TYPE).send(JSON.stringify(body));
    return;
  }
  if (typeof (response as Partial<ExpressResponseLike>).json === 'function') {
    (response as ExpressResponseLike).status(statusCode).json(body);
    return;
  }
  response.statusCode = statusCode;
  response.setHeader('Content-Type', JSON_TYPE);
  response.end(JSON.stringify(body));
}

/** The request's path, without its query string (Express's `req.path`, which Fastify lacks). */
export function requestPath(request: Pick<RequestLike, 'originalUrl' | 'raw' | 'url'>): string {
  const url = request.originalUrl ?? (request.raw ?? request).url ?? '/';
  return url.split('?', 1)[0];
}
