import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseAuthOptions, ResolvedSseOptions } from '../sse-options.interface.js';
import { requestToken } from './request-token.js';
import { matchesAnyPattern } from './topic-pattern.js';
import { TokenService } from './token.service.js';

/** Which topics are private (`auth.privateTopics`), and which of them a request may see. */
@Injectable()
export class PrivateTopics {
  private readonly auth: ResolvedSseAuthOptions;

  constructor(
    private readonly tokens: TokenService,
    @Inject(SSE_OPTIONS) options: ResolvedSseOptions,
  ) {
    this.auth = options.auth;
  }

  isPrivate(topic: string): boolean {
    return matchesAnyPattern(this.auth.privateTopics, topic);
  }

  /**
   * The private topics the request's token may subscribe to, read as SubscribeGuard reads it.
   * Never throws: no token, a malformed or refused one, or a key set out of reach all mean
   * "none", so that an answer never says more about a private topic to anyone else.
   */
  async readableBy(request: Request): Promise<(topic: string) => boolean> {
    const none = () => false;
    if (this.auth.privateTopics.length === 0 || !this.tokens.keyConfigured) {
      return none;
    }
    try {
      const found = requestToken(request, this.auth.cookieName, true);
      if (!found) {
        return none;
      }
      const { subscribe } = await this.tokens.verify(found);
      return (topic) => matchesAnyPattern(subscribe, topic);
    } catch {
      return none;
    }
  }
}
