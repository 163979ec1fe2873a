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
