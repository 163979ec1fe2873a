import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { SignJWT } from 'jose';
import { SSE_DEFAULTS } from '../sse.constants.js';
import type { SseAuthOptions } from '../sse-options.interface.js';
import { TokenService } from './token.service.js';

const SECRET = 'token-service-spec-secret-0123456789';

const service = (auth: SseAuthOptions) =>
  new TokenService({ ...SSE_DEFAULTS, auth: { ...SSE_DEFAULTS.auth, ...auth } });

const sign = (claims: Record<string, unknown>, exp?: number) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== undefined) {
    jwt.setExpirationTime(exp);
  }
  return jwt.sign(new TextEncoder().encode(SECRET));
};

describe('TokenService', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('refuses, at construction, more than one key or private topics without a key', () => {
    expect(() => service({ secret: SECRET, jwksUrl: 'https://id.example/jwks' })).toThrow(
      /Set only one token key/,
    );
    expect(() => service({ privateTopics: ['private.*'] })).toThrow(
      /Private topics need a token key/,
    );
    expect(() => service({ publicKey: 'not a pem' })).toThrow(/not a PEM public key/);
    expect(service({}).keyConfigured).toBe(false);
    expect(service({ secret: SECRET }).keyConfigured).toBe(true);
  });

  it('reads the grants, keeping only the strings of each list', async () => {
    const token = await sign({ ripple: { publish: ['a', 7, null, 'b.*'], subscribe: 'x' } });
    const lenient = service({ secret: SECRET, requireExp: false });
    await expect(lenient.verify({ token, source: 'header' })).resolves.toEqual({
      publish: ['a', 'b.*'],
      subscribe: [],
      expiresAt: undefined,
    });
  });

  it('refuses a token without exp unless told not to', async () => {
    const token = await sign({ ripple: { subscribe: ['*'] } });
    await expect(service({ secret: SECRET }).verify({ token, source: 'header' })).rejects.toThrow(
      /no "exp" claim/,
    );
    await expect(
      service({ secret: SECRET, requireExp: false }).verify({ token, source: 'header' }),
    ).resolves.toMatchObject({ subscribe: ['*'], expiresAt: undefined });
  });

  it('puts the expiry at exp plus the clock skew allowed', async () => {
    const exp = Math.floor(Date.now() / 1000) + 100;
    const token = await sign({ ripple: { subscribe: ['*'] } }, exp);
    const grant = await service({ secret: SECRET, clockSkewSeconds: 7 }).verify({
      token,
      source: 'cookie',
    });
    expect(grant.expiresAt).toBe((exp + 7) * 1000);
  });

  it('accepts a token a little past its exp within the clock skew, and not beyond', async () => {
    const exp = Math.floor(Date.now() / 1000) - 5;
    const token = await sign({ ripple: {} }, exp);
    await expect(
      service({ secret: SECRET, clockSkewSeconds: 30 }).verify({ token, source: 'header' }),
    ).resolves.toBeDefined();
    await expect(
      service({ secret: SECRET, clockSkewSeconds: 0 }).verify({ token, source: 'header' }),
    ).rejects.toThrow(/expired/);
  });

  it('takes from the query string only tokens that expire soon enough', async () => {
    const tokens = service({ secret: SECRET, queryTokenMaxTtlSeconds: 60 });
    const now = Math.floor(Date.now() / 1000);
    await expect(
      tokens.verify({ token: await sign({}, now + 50), source: 'query' }),
    ).resolves.toBeDefined();
    await expect(
      tokens.verify({ token: await sign({}, now + 120), source: 'query' }),
    ).rejects.toThrow(/must expire within 60 s/);
    await expect(tokens.verify({ token: await sign({}), source: 'query' })).rejects.toThrow(
      UnauthorizedException,
    );
  });

  it('verifies nothing without a key', async () => {
    await expect(
      service({}).verify({ token: await sign({ ripple: { publish: ['*'] } }), source: 'header' }),
    ).rejects.toThrow(UnauthorizedException);
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const tokens = service({ jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    // Header {"alg":"RS256","kid":"k"}: the key set must be fetched to find out more.
    const token = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln';
    await expect(tokens.verify({ token, source: 'header' })).rejects.toThrow(
      ServiceUnavailableException,
    );
  });
});
