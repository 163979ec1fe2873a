import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import { PrivateTopics } from '../auth/private-topics.service.js';
import { TopicStats, type TopicSummary } from './topic-stats.service.js';

@Controller('topics')
export class TopicsController {
  constructor(
    private readonly stats: TopicStats,
    private readonly privateTopics: PrivateTopics,
  ) {}

  /**
   * Public topics, and the private ones the request's token may subscribe to: a private topic's
   * name (`private.alice-<account>`) is for those who may read it.
   */
  @Get()
  async list(@Req() request: Request): Promise<{ topics: TopicSummary[] }> {
    const readable = await this.privateTopics.readableBy(request);
    const topics = this.stats
      .list()
      .filter(({ topic }) => !this.privateTopics.isPrivate(topic) || readable(topic));
    return { topics };
  }
}
