import { Get, Header, Req, UseFilters } from '@nestjs/common';
import { PrivateTopics } from '../auth/private-topics.service.js';
import { TopicStats } from '../topics/topic-stats.service.js';
import { SseExceptionFilter } from './sse-exception.filter.js';
import type { RequestLike } from '../http/http-objects.js';

/** The topics list, mounted at the `routes` extra's `topicsPath` (mountRoutes). */
@UseFilters(SseExceptionFilter)
export class TopicsController {
  constructor(
    private readonly stats: TopicStats,
    private readonly privateTopics: PrivateTopics,
  ) {}

  /**
   * `{"topics": [...], "untracked": n}`: public topics, and the private ones the request's token
   * may subscribe to (a private topic's name, `private.alice-<account>`, is for those who may read
   * it). At most `maxTrackedTopics`, rendered once a second for everyone without a token.
   */
  @Get()
  @Header('Content-Type', 'application/json; charset=utf-8')
  async list(@Req() request: RequestLike): Promise<string> {
    return this.stats.json(await this.privateTopics.readableBy(request));
  }
}
