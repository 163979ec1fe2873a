import { Inject, Injectable } from '@nestjs/common';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseAuthOptions, ResolvedSseOptions } from '../sse-options.interface.js';
import { requestToken } from './request-token.js';
import { matchesAnyPattern } from './topic-pattern.js';
import { TokenService } from './token.service.js';
import type { RequestLike } from '../http/http-objects.js';

/** Which private topics (`auth.privateTopics`) a request may see. */
@Injectable()
export class PrivateTopics {
  private readonly auth: ResolvedSseAuthOptions;

  constructor(
    private readonly tokens: TokenService,
    @Inject(SSE_OPTIONS) options: ResolvedSseOptions,
  ) {
    this.auth = options.auth;
  }

  /**
   * Whether the request's token (read as SubscribeGuard reads it) may subscribe to a private
   * topic; undefined for none. Never throws: no token, a malformed or refused one, or a key set
   * out of reach all mean "none", so that an answer never says more about a private topic to
   * anyone else.
   */
  async readableBy(request: RequestLike): Promise<((topic: string) => boolean) | undefined> {
    const none = undefined;
    if (this.auth.privateTopics.length === 0 || !this.tokens.keyConfigured) {
      return none;
    }
    try {
      const found = requestToken(request, this.auth.cookieName, true);
      if (!found) {
        return none;
      }
      const { subscribe } = await this.tokens.verify(found);
      return (topic) =>
        matchesAnyPattern(this.auth.privateTopics, topic) && matchesAnyPattern(subscribe, topic);
    } catch {
      return none;
    }
  }
}
