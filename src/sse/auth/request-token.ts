import {
  HttpException,
  UnauthorizedException,
  type ExecutionContext,
  type Logger,
} from '@nestjs/common';
import { parseCookie } from 'cookie';
import {
  requestPath,
  setResponseHeader,
  type PlatformResponse,
  type RequestLike,
} from '../http/http-objects.js';
import { inRequestScope } from '../http/request-scope.js';
import { BAD_AUTHORIZATION_HEADER, BAD_QUERY_TOKEN, REFUSED } from './auth.messages.js';
import { requestQuery } from '../validation/request-query.js';
import type { RequestToken } from './grant.interface.js';

/** The query parameter for clients that can set neither a header nor a cookie. */
export const ACCESS_TOKEN_PARAM = 'access_token';

/** What RFC 6750 asks a 401 for a bearer token to carry. */
export const BEARER_CHALLENGE = 'Bearer realm="ripple"';

/**
 * The token a request carries, if any: the `Authorization: Bearer` header first, then (where
 * allowed) the `access_token` query parameter, then the cookie. What a client sends explicitly
 * wins over what its browser sends on its own.
 */
export function requestToken(
  request: RequestLike,
  cookieName: string,
  allowQuery: boolean,
): RequestToken | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
    if (!match) {
      throw new UnauthorizedException(BAD_AUTHORIZATION_HEADER());
    }
    return { token: match[1], source: 'header' };
  }
  if (allowQuery) {
    const query = requestQuery(request)[ACCESS_TOKEN_PARAM];
    if (Array.isArray(query) || (query !== undefined && typeof query !== 'string')) {
      throw new UnauthorizedException(BAD_QUERY_TOKEN());
    }
    if (query) {
      return { token: query, source: 'query' };
    }
  }
  const cookies = request.headers.cookie;
  const token = cookies ? parseCookie(cookies)[cookieName] : undefined;
  return token ? { token, source: 'cookie' } : undefined;
}

/**
 * What a guard does with a refusal before it throws it on: a debug line with the path only (the
 * query string may hold the token), and a bearer challenge on a 401.
 */
export function noteRefusal(err: unknown, context: ExecutionContext, logger: Logger): void {
  if (!(err instanceof HttpException)) {
    return;
  }
  const http = context.switchToHttp();
  const request = http.getRequest<RequestLike>();
  inRequestScope(request, () =>
    logger.debug(REFUSED(request.method, requestPath(request), err.getStatus(), err.message)),
  );
  if (err instanceof UnauthorizedException) {
    setResponseHeader(http.getResponse<PlatformResponse>(), 'WWW-Authenticate', BEARER_CHALLENGE);
  }
}
