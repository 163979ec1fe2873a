import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  ForbiddenException,
  Logger,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import { SignJWT } from 'jose';
import { SSE_DEFAULTS } from '../sse.constants.js';
import type { ResolvedSseOptions, SseAuthOptions } from '../sse-options.interface.js';
import { PublishGuard } from './publish.guard.js';
import { TokenService } from './token.service.js';

const SECRET = 'publish-guard-spec-secret-0123456789';

function guardWith(auth: SseAuthOptions = {}): PublishGuard {
  const options: ResolvedSseOptions = { ...SSE_DEFAULTS, auth: { ...SSE_DEFAULTS.auth, ...auth } };
  return new PublishGuard(new TokenService(options), options);
}

/** What Nest hands a guard for `POST /events/:topic` from `remoteAddress`. */
function contextFor(
  remoteAddress: string | undefined,
  headers: Record<string, string> = {},
  topic = 'news',
): {
  context: ExecutionContext;
  response: { setHeader: jest.Mock<(name: string, value: string) => void> };
} {
  const request = {
    method: 'POST',
    path: `/events/${topic}`,
    headers,
    params: { topic },
    query: {},
    socket: { remoteAddress },
  };
  const response = { setHeader: jest.fn<(name: string, value: string) => void>() };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { context, response };
}

const token = (publish: string[]) =>
  new SignJWT({ ripple: { publish } })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

describe('PublishGuard', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('with no key configured', () => {
    it('lets loopback clients publish', async () => {
      for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
        await expect(guardWith().canActivate(contextFor(address).context)).resolves.toBe(true);
      }
    });

    it('refuses any other client with a 403, judged by the socket and not X-Forwarded-For', async () => {
      const { context } = contextFor('10.1.2.3', { 'x-forwarded-for': '127.0.0.1' });
      await expect(guardWith().canActivate(context)).rejects.toThrow(ForbiddenException);
      await expect(guardWith().canActivate(context)).rejects.toThrow(
        /only clients on its own host/,
      );
      await expect(guardWith().canActivate(contextFor(undefined).context)).rejects.toThrow(
        ForbiddenException,
      );
    });

    it('does not let a token stand in for the missing key', async () => {
      const { context } = contextFor('10.1.2.3', { authorization: `Bearer ${await token(['*'])}` });
      await expect(guardWith().canActivate(context)).rejects.toThrow(ForbiddenException);
    });
  });

  describe('with a key configured', () => {
    it('needs a token from loopback clients too, and challenges with a 401', async () => {
      const { context, response } = contextFor('127.0.0.1');
      await expect(guardWith({ secret: SECRET }).canActivate(context)).rejects.toThrow(
        UnauthorizedException,
      );
      expect(response.setHeader).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer realm="ripple"');
    });

    it('lets a matching publish grant through, from any address', async () => {
      const { context } = contextFor('203.0.113.7', {
        authorization: `Bearer ${await token(['ne*'])}`,
      });
      await expect(guardWith({ secret: SECRET }).canActivate(context)).resolves.toBe(true);
    });

    it('answers a grant that does not match with a 403', async () => {
      const { context, response } = contextFor('127.0.0.1', {
        authorization: `Bearer ${await token(['other'])}`,
      });
      await expect(guardWith({ secret: SECRET }).canActivate(context)).rejects.toThrow(
        ForbiddenException,
      );
      expect(response.setHeader).not.toHaveBeenCalled();
    });
  });
});
