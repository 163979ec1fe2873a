import { Controller, Get } from '@nestjs/common';
import { TopicStats, type TopicSummary } from './topic-stats.service.js';

@Controller('topics')
export class TopicsController {
  constructor(private readonly stats: TopicStats) {}

  @Get()
  list(): { topics: TopicSummary[] } {
    return { topics: this.stats.list() };
  }
}
