import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseAuthOptions, ResolvedSseOptions } from '../sse-options.interface.js';
import { checkTopic } from '../validation/request-checks.js';
import {
  LOOPBACK_ONLY,
  NO_BATCH_GRANT,
  NO_PUBLISH_GRANT,
  NO_PUBLISH_TOKEN,
} from './auth.messages.js';
import { isLoopback } from './loopback.js';
import { isRelayed } from './relay-headers.js';
import { requestGrant, setRequestGrant } from './request-grant.js';
import { noteRefusal, requestToken } from './request-token.js';
import { matchesAnyPattern } from './topic-pattern.js';
import { TokenService } from './token.service.js';
import type { RequestLike } from '../http/http-objects.js';

/**
 * `POST /events/:topic` and the batch `POST /events`: with a key configured, the request needs a token (header or cookie) whose
 * publish grant matches the topic. With none, only clients on this host may publish, judged by
 * the socket's address (a proxy's X-Forwarded-For is anyone's to write), and not relayed.
 */
@Injectable()
export class PublishGuard implements CanActivate {
  private readonly logger = new Logger(PublishGuard.name);
  private readonly auth: ResolvedSseAuthOptions;

  constructor(
    private readonly tokens: TokenService,
    @Inject(SSE_OPTIONS) options: ResolvedSseOptions,
  ) {
    this.auth = options.auth;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestLike>();
    try {
      if (!this.tokens.keyConfigured) {
        // A proxy on this host connects from loopback too, for clients from anywhere: what it
        // relays (it says so in a forwarding header) is not a client on this host.
        if (isLoopback(request.socket?.remoteAddress) && !isRelayed(request.headers)) {
          return true;
        }
        throw new ForbiddenException(LOOPBACK_ONLY());
      }
      const found = requestToken(request, this.auth.cookieName, false);
      if (!found) {
        throw new UnauthorizedException(NO_PUBLISH_TOKEN(this.auth.cookieName));
      }
      const grant = await this.tokens.verify(found);
      if (request.params?.topic === undefined) {
        // The batch route: its topics are in the body, which the route checks (checkBatchGrant).
        setRequestGrant(request, grant);
        return true;
      }
      const topic = checkTopic(String(request.params?.topic ?? ''));
      if (!matchesAnyPattern(grant.publish, topic)) {
        throw new ForbiddenException(NO_PUBLISH_GRANT(topic));
      }
      return true;
    } catch (err) {
      noteRefusal(err, context, this.logger);
      throw err;
    }
  }
}

/**
 * The batch route's grant check, once its body is read (PublishGuard has let the request through
 * with its verified grant): a publish grant for every topic of the batch. The refusal names no
 * topic, so that it tells nothing about which names are private.
 */
export function checkBatchGrant(
  request: object,
  topics: readonly string[],
  keyConfigured: boolean,
): void {
  if (!keyConfigured) {
    return;
  }
  const grant = requestGrant(request);
  if (!grant || !topics.every((topic) => matchesAnyPattern(grant.publish, topic))) {
    throw new ForbiddenException(NO_BATCH_GRANT());
  }
}
