import type { IncomingMessage, ServerResponse } from 'node:http';
import { stdTimeFunctions, type LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import type { LogLevel } from '../../config/ripple.config.js';
import { REDACTED, REDACTED_PATHS, redactUrl, requestIdOf } from './log-redaction.js';

/** A request as pino's standard serializer gives it. */
interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * The request in a log line: the URL without its secrets, and without the parsed `query` the
 * standard serializer adds (it would repeat an `access_token` the URL no longer shows).
 */
function serializeRequest(req: SerializedRequest): SerializedRequest {
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    headers: req.headers,
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

/**
 * Health probes at debug level, whatever they answer: an orchestrator asks every few seconds, and
 * what makes readiness fail (Redis lost, a drain) is logged once where it happens. A thrown error
 * is an error; a 5xx Ripple chose (Redis away, the connection limit) is a warning.
 */
function levelOf(req: IncomingMessage, res: ServerResponse, err?: Error): LevelWithSilent {
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
 * pino-http's options: one line per request when its response ends (for a stream: once, when it
 * closes; pino-http listens for the end and never wraps writes, so events cost nothing here), the
 * request id echoed to the client, and no credential in any line.
 */
export function pinoHttpOptions(level: LogLevel, instance: string): Options {
  return {
    level,
    base: { instance, pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    genReqId: (req, res) => {
      const id = requestIdOf(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // What the application logs while handling a request carries its id, not the request again.
    quietReqLogger: true,
    serializers: { req: serializeRequest },
    customLogLevel: levelOf,
  };
}
