import { STATUS_CODES } from 'node:http';
import { BODY_NOT_VALID_JSON, BODY_TOO_LARGE } from '../sse.messages.js';

/** What a body parser raises (body-parser, raw-body: http-errors), its `type` naming the failure. */
export interface ParserError {
  type: string;
  status: number;
  message: string;
  limit?: number;
  expose?: boolean;
}

export function isParserError(err: unknown): err is ParserError {
  const candidate = err as Partial<ParserError> | null;
  return (
    typeof candidate?.type === 'string' &&
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500
  );
}

/** A parser's refusal in the module's words, the same as its own reader's. */
export function parserErrorMessage(err: ParserError): string {
  if (err.type === 'entity.too.large' && typeof err.limit === 'number') {
    return BODY_TOO_LARGE(err.limit);
  }
  if (err.type === 'entity.parse.failed') {
    return BODY_NOT_VALID_JSON(err.message);
  }
  return err.expose === false ? (STATUS_CODES[err.status] ?? 'Bad Request') : err.message;
}

/** What Fastify's body parsers raise: an error with a status (its own have a `FST_ERR_CTP_` code). */
export interface FastifyParserError {
  statusCode: number;
  message: string;
  code?: string;
}

/**
 * Whether `err` came from Fastify's content-type parsers: its own errors, or the SyntaxError its
 * JSON parser passes on with a 400.
 */
export function isFastifyParserError(err: unknown): err is FastifyParserError {
  const candidate = err as Partial<FastifyParserError> | null;
  if (typeof candidate?.statusCode !== 'number' || candidate.statusCode >= 500) {
    return false;
  }
  return candidate.code?.startsWith('FST_ERR_CTP_') === true || err instanceof SyntaxError;
}

/** Fastify's parser refusal in the module's words; `limit` is the route's body limit. */
export function fastifyParserMessage(err: FastifyParserError, limit: number): string {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return BODY_TOO_LARGE(limit);
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return BODY_NOT_VALID_JSON(err.message);
  }
  return err.message;
}
