import {
  ForbiddenException,
  Inject,
  Injectable,
  UseFilters,
  type NestMiddleware,
} from '@nestjs/common';
import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseOptions } from '../sse-options.interface.js';
import { SseExceptionFilter } from './sse-exception.filter.js';
import { ORIGIN_NOT_ALLOWED } from '../auth/auth.messages.js';

/** Any origin that is not listed, when the list holds it: allowed, never with credentials. */
export const ANY_ORIGIN = '*';

const SHARED: cors.CorsOptions = {
  methods: ['GET', 'POST'],
  allowedHeaders: ['Content-Type', 'Authorization', 'Last-Event-ID', 'Idempotency-Key'],
  // So that a page can tell a retried publish's answer from a new one.
  exposedHeaders: ['Idempotent-Replayed'],
  maxAge: 600,
};

/**
 * CORS for the stream and publish routes. A listed origin gets its own name back and
 * credentials (cookies, `withCredentials`); with `*` listed, any other origin gets `*` and no
 * credentials; a preflight from any other origin is refused with a 403. A request that is not a
 * preflight always goes on: a same-origin POST carries an Origin too, and what the browser shows
 * a foreign page is up to the headers.
 */
@Injectable()
// An instance: a middleware applies no filter classes.
@UseFilters(new SseExceptionFilter())
export class CorsMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly listed: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  private readonly withCredentials = cors({ ...SHARED, origin: true, credentials: true });
  private readonly withoutCredentials = cors({ ...SHARED, origin: ANY_ORIGIN, credentials: false });

  constructor(@Inject(SSE_OPTIONS) options: ResolvedSseOptions) {
    this.listed = new Set(options.corsOrigins.filter((origin) => origin !== ANY_ORIGIN));
    this.anyOrigin = options.corsOrigins.includes(ANY_ORIGIN);
  }

  use(request: IncomingMessage, response: ServerResponse, next: (err?: unknown) => void): void {
    const origin = request.headers.origin;
    if (origin === undefined) {
      next();
      return;
    }
    // The answer depends on the Origin, so caches must keep one per origin.
    varyOnOrigin(response);
    if (this.listed.has(origin)) {
      this.withCredentials(request, response, next);
    } else if (this.anyOrigin) {
      this.withoutCredentials(request, response, next);
    } else if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      throw new ForbiddenException(ORIGIN_NOT_ALLOWED(origin));
    } else {
      next();
    }
  }
}

/**
 * Adds `Origin` to the response's Vary (as Express's `res.vary` does): Fastify hands a middleware
 * Node's response, which has no such helper.
 */
function varyOnOrigin(response: ServerResponse): void {
  const current = response.getHeader('Vary');
  const list = Array.isArray(current) ? current.join(', ') : String(current ?? '');
  const names = list.split(',').map((name) => name.trim().toLowerCase());
  if (names.includes('*') || names.includes('origin')) {
    return;
  }
  response.setHeader('Vary', list.trim() === '' ? 'Origin' : `${list}, Origin`);
}
