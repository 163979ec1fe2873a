import type { IncomingMessage, ServerResponse } from 'node:http';
import { stdTimeFunctions, type LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import type { LogLevel } from '../../config/ripple.config.js';
import {
  redactHeaders,
  redactUrl,
  REQUEST_SECRET_HEADERS,
  RESPONSE_SECRET_HEADERS,
} from './log-redaction.js';
import { requestIdFields } from './request-context.js';

/** A request as pino's standard serializer gives it. */
interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/** A response as pino's standard serializer gives it. */
interface SerializedResponse {
  statusCode: number;
  headers: Record<string, unknown>;
}

/**
 * The request in a log line: the URL and headers without their secrets, and without the parsed
 * `query` the standard serializer adds (it would repeat an `access_token` the URL no longer shows).
 */
function serializeRequest(req: SerializedRequest): SerializedRequest {
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    headers: redactHeaders(req.headers, REQUEST_SECRET_HEADERS),
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

/** The response in a log line, without the cookies it sets. */
function serializeResponse(res: SerializedResponse): SerializedResponse {
  return {
    statusCode: res.statusCode,
    headers: redactHeaders(res.headers, RESPONSE_SECRET_HEADERS),
  };
}

/**
 * Health probes at debug level, whatever they answer: an orchestrator asks every few seconds, and
 * what makes readiness fail (Redis lost, a drain) is logged once where it happens. A thrown error
 * is an error; a 5xx Ripple chose (Redis away, the connection limit) is a warning.
 */
export function levelOf(req: IncomingMessage, res: ServerResponse, err?: Error): LevelWithSilent {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '';
  if (/^\/health(?:[/?]|$)/.test(url)) {
    return 'debug';
  }
  if (err) {
    return 'error';
  }
  return res.statusCode >= 500 ? 'warn' : 'info';
}

/**
 * The root logger's options, given to pino-http, which builds it (and wraps the serializers so
 * that `req` and `res` are the request and response themselves): JSON lines with the instance,
 * and no credential in any line. The line per request is logRequest's.
 */
export function pinoHttpOptions(level: LogLevel, instance: string): Options {
  return {
    level,
    base: { instance, pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { req: serializeRequest, res: serializeResponse },
    // The request's id, on every line logged while handling it.
    mixin: requestIdFields,
  };
}
