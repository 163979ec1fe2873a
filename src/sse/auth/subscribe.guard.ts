import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { InjectSseMetrics } from '../metrics/inject-sse-metrics.decorator.js';
import { NO_SSE_METRICS } from '../metrics/no-sse-metrics.js';
import type { SseMetrics } from '../metrics/sse-metrics.interface.js';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseAuthOptions, ResolvedSseOptions } from '../sse-options.interface.js';
import { NO_SUBSCRIBE_GRANT, NO_SUBSCRIBE_TOKEN } from './auth.messages.js';
import { setRequestGrant } from './request-grant.js';
import { noteRefusal, requestToken } from './request-token.js';
import { matchesAnyPattern } from './topic-pattern.js';
import { TokenService } from './token.service.js';
import type { RequestLike } from '../http/http-objects.js';

/**
 * `GET /events?topic=...`: a stream that asks for a private topic needs a token whose subscribe
 * grant matches every private topic it asks for, or it is refused whole. A stream of public topics
 * only needs nothing, and a token sent with one is not even read.
 */
@Injectable()
export class SubscribeGuard implements CanActivate {
  private readonly logger = new Logger(SubscribeGuard.name);
  private readonly auth: ResolvedSseAuthOptions;

  constructor(
    private readonly tokens: TokenService,
    @Inject(SSE_OPTIONS) options: ResolvedSseOptions,
    @InjectSseMetrics() private readonly metrics: SseMetrics = NO_SSE_METRICS,
  ) {
    this.auth = options.auth;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestLike>();
    const asked = topicsOf(request.query?.topic);
    const privateTopics = asked.filter((topic) =>
      matchesAnyPattern(this.auth.privateTopics, topic),
    );
    if (privateTopics.length === 0) {
      return true;
    }
    try {
      const found = requestToken(request, this.auth.cookieName, true);
      if (!found) {
        throw new UnauthorizedException(NO_SUBSCRIBE_TOKEN(privateTopics, this.auth.cookieName));
      }
      const grant = await this.tokens.verify(found);
      const refused = privateTopics.filter((topic) => !matchesAnyPattern(grant.subscribe, topic));
      if (refused.length > 0) {
        throw new ForbiddenException(NO_SUBSCRIBE_GRANT(refused));
      }
      setRequestGrant(request, grant);
      return true;
    } catch (err) {
      this.metrics.streamRefused('auth');
      noteRefusal(err, context, this.logger);
      throw err;
    }
  }
}

/** The names in `?topic=`, as sent; the hub checks them once the guard lets the request in. */
function topicsOf(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((item): item is string => typeof item === 'string');
}
