import type { IncomingMessage } from 'node:http';
import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  BODY_ABORTED,
  BODY_CHARSET,
  BODY_ENCODED,
  BODY_NOT_VALID_JSON,
  BODY_TOO_LARGE,
} from '../sse.messages.js';

/**
 * Room around a payload at the limit for its envelope (`{"data": ..., "type": "..."}`, spaces):
 * the body may be this much larger than `maxPayloadBytes`, and the hub measures the payload itself
 * exactly.
 */
export const ENVELOPE_BYTES = 64 * 1024;

/**
 * The JSON body of a publish, whoever reads it. A parser of the host's (Nest's default one, or
 * `app.useBodyParser`) may have read it already, with its own limit: what it made of it is checked
 * like the rest. Otherwise the route reads it here, with its own limit, so that it needs nothing
 * from the host. Uncompressed UTF-8 only; an empty body is no body.
 */
export async function readPublishBody(
  request: IncomingMessage,
  limit: number,
  parsed: unknown,
): Promise<unknown> {
  if (request.readableEnded) {
    return parsed;
  }
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw new UnsupportedMediaTypeException(BODY_ENCODED(encoding));
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i
    .exec(request.headers['content-type'] ?? '')?.[1]
    ?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeException(BODY_CHARSET(charset));
  }
  // Refused before a byte is read when the client says how much is coming.
  if (Number(request.headers['content-length']) > limit) {
    throw new PayloadTooLargeException(BODY_TOO_LARGE(limit));
  }
  const text = (await readUpTo(request, limit)).toString('utf8');
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequestException(BODY_NOT_VALID_JSON((err as Error).message));
  }
}

/**
 * The body, up to `limit` bytes. Plain listeners rather than stream.finished(): this runs for
 * every publish, and finished() costs more than the body of a small one.
 */
function readUpTo(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (request.destroyed) {
      reject(new BadRequestException(BODY_ABORTED()));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onAborted);
      request.off('close', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      stop();
      // The rest is read and dropped, so that the connection can still carry the answer.
      request.resume();
      reject(new PayloadTooLargeException(BODY_TOO_LARGE(limit)));
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    // An error, or a close before the end: the client went away mid-body.
    const onAborted = () => {
      stop();
      reject(new BadRequestException(BODY_ABORTED()));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onAborted);
    request.on('close', onAborted);
  });
}
