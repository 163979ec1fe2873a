import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { KeyObject } from 'node:crypto';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseAuthOptions, ResolvedSseOptions } from '../sse-options.interface.js';
import {
  AUTH_MODE_KEYED,
  AUTH_MODE_OPEN,
  BAD_TOKEN,
  JWKS_FETCH_FAILED,
  KEYS_UNAVAILABLE,
  KEY_HS256,
  KEY_JWKS,
  KEY_PEM,
  KEY_SOURCES_CONFLICT,
  PRIVATE_TOPICS_NEED_KEY,
  QUERY_TOKEN_TOO_LONG_LIVED,
  TOKEN_BAD_ALGORITHM,
  TOKEN_BAD_CLAIM,
  TOKEN_BAD_SIGNATURE,
  TOKEN_EXPIRED,
  TOKEN_MALFORMED,
  TOKEN_MISSING_CLAIM,
  TOKEN_NOT_YET_VALID,
  TOKEN_NO_MATCHING_KEY,
  TOKEN_UNVERIFIABLE,
  TOKEN_WRONG_AUDIENCE,
  TOKEN_WRONG_ISSUER,
} from './auth.messages.js';
import type { Grant, RequestToken } from './grant.interface.js';
import { parsePublicKey } from './public-key.js';

/** The one key a deployment verifies with, and the algorithms it accepts. */
interface VerificationKey {
  key: Uint8Array | KeyObject | JWTVerifyGetKey;
  algorithms: string[];
  /** For the log: which kind of key, never the key. */
  description: string;
  /** A key set fetched over the network: a failure there is ours, not the client's. */
  remote: boolean;
}

/**
 * Verifies tokens (JWTs, with jose) and reads their grants. Which key it uses is fixed at start;
 * with none, it verifies nothing, and the guards let only loopback clients publish.
 */
@Injectable()
export class TokenService implements OnApplicationBootstrap {
  private readonly logger = new Logger(TokenService.name);
  private readonly auth: ResolvedSseAuthOptions;
  private readonly key: VerificationKey | undefined;

  constructor(@Inject(SSE_OPTIONS) options: ResolvedSseOptions) {
    this.auth = options.auth;
    this.key = verificationKey(this.auth);
    if (!this.key && this.auth.privateTopics.length > 0) {
      throw new Error(PRIVATE_TOPICS_NEED_KEY());
    }
  }

  /** Whether a key is configured, so that tokens can be checked at all. */
  get keyConfigured(): boolean {
    return this.key !== undefined;
  }

  onApplicationBootstrap(): void {
    this.logger.log(
      this.key
        ? AUTH_MODE_KEYED(
            this.key.description,
            this.auth.privateTopics,
            this.auth.audience,
            this.auth.issuer,
          )
        : AUTH_MODE_OPEN(),
    );
  }

  /**
   * The grant of a valid token; a 401 for a token that is not (or for any token when no key is
   * configured), a 503 when the key set cannot be fetched.
   */
  async verify({ token, source }: RequestToken): Promise<Grant> {
    if (!this.key) {
      throw new UnauthorizedException(BAD_TOKEN(TOKEN_UNVERIFIABLE()));
    }
    const options: JWTVerifyOptions = {
      algorithms: this.key.algorithms,
      audience: this.auth.audience,
      issuer: this.auth.issuer,
      clockTolerance: this.auth.clockSkewSeconds,
      requiredClaims: this.auth.requireExp ? ['exp'] : [],
    };
    let payload: JWTPayload;
    try {
      const { key } = this.key;
      ({ payload } = await (typeof key === 'function'
        ? jwtVerify(token, key, options)
        : jwtVerify(token, key, options)));
    } catch (err) {
      if (this.key.remote && isKeySetFailure(err)) {
        this.logger.warn(
          JWKS_FETCH_FAILED(this.key.description, err instanceof Error ? err.message : String(err)),
        );
        throw new ServiceUnavailableException(KEYS_UNAVAILABLE());
      }
      throw new UnauthorizedException(BAD_TOKEN(refusalReason(err)));
    }
    const exp = typeof payload.exp === 'number' ? payload.exp : undefined;
    if (
      source === 'query' &&
      (exp === undefined || exp - Date.now() / 1000 > this.auth.queryTokenMaxTtlSeconds)
    ) {
      throw new UnauthorizedException(
        QUERY_TOKEN_TOO_LONG_LIVED(this.auth.queryTokenMaxTtlSeconds),
      );
    }
    return {
      publish: patterns(payload, 'publish'),
      subscribe: patterns(payload, 'subscribe'),
      expiresAt: exp === undefined ? undefined : (exp + this.auth.clockSkewSeconds) * 1000,
    };
  }
}

function verificationKey(auth: ResolvedSseAuthOptions): VerificationKey | undefined {
  const sources = [auth.secret, auth.publicKey, auth.jwksUrl].filter((value) => value);
  if (sources.length > 1) {
    throw new Error(KEY_SOURCES_CONFLICT());
  }
  if (auth.secret) {
    return {
      key: new TextEncoder().encode(auth.secret),
      algorithms: ['HS256'],
      description: KEY_HS256(),
      remote: false,
    };
  }
  if (auth.publicKey) {
    const { key, algorithm } = parsePublicKey(auth.publicKey);
    return { key, algorithms: [algorithm], description: KEY_PEM(algorithm), remote: false };
  }
  if (auth.jwksUrl) {
    const url = new URL(auth.jwksUrl);
    return {
      key: createRemoteJWKSet(url),
      algorithms: ['RS256', 'ES256'],
      // Only where it is: a URL may carry credentials in its user info or query.
      description: KEY_JWKS(`${url.origin}${url.pathname}`),
      remote: true,
    };
  }
  return undefined;
}

/** The patterns of one grant; anything but a list of strings grants nothing. */
function patterns(payload: JWTPayload, kind: 'publish' | 'subscribe'): string[] {
  const claim = payload.ripple;
  if (typeof claim !== 'object' || claim === null) {
    return [];
  }
  const list = (claim as Record<string, unknown>)[kind];
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

function isKeySetFailure(err: unknown): boolean {
  if (err instanceof errors.JOSEError) {
    // Generic: the key set answered with something other than a 200.
    return [errors.JWKSTimeout.code, errors.JWKSInvalid.code, errors.JOSEError.code].includes(
      err.code,
    );
  }
  // fetch() failing (refused, reset, DNS): jose lets it through as is.
  return true;
}

/** Why jose refused a token, in words that hold nothing of the token itself. */
function refusalReason(err: unknown): string {
  if (!(err instanceof errors.JOSEError)) {
    return TOKEN_UNVERIFIABLE();
  }
  switch (err.code) {
    case errors.JWTExpired.code:
      return TOKEN_EXPIRED();
    case errors.JWTClaimValidationFailed.code: {
      const { claim, reason } = err as errors.JWTClaimValidationFailed;
      if (reason === 'missing') {
        return TOKEN_MISSING_CLAIM(claim);
      }
      if (claim === 'nbf') {
        return TOKEN_NOT_YET_VALID();
      }
      if (claim === 'aud') {
        return TOKEN_WRONG_AUDIENCE();
      }
      if (claim === 'iss') {
        return TOKEN_WRONG_ISSUER();
      }
      return TOKEN_BAD_CLAIM(claim);
    }
    case errors.JWSSignatureVerificationFailed.code:
      return TOKEN_BAD_SIGNATURE();
    case errors.JOSEAlgNotAllowed.code:
      return TOKEN_BAD_ALGORITHM();
    case errors.JWKSNoMatchingKey.code:
      return TOKEN_NO_MATCHING_KEY();
    case errors.JWSInvalid.code:
    case errors.JWTInvalid.code:
      return TOKEN_MALFORMED();
    default:
      return TOKEN_UNVERIFIABLE();
  }
}
