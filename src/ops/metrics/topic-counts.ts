import { OTHER_TOPIC } from './metrics.constants.js';

export interface TopicCount {
  published: number;
  delivered: number;
}

/**
 * Events per topic, under at most `maxTopics` topic labels: the first topics seen keep their own
 * for the life of the process, every later one counts under `_other`. Topic names come from
 * clients, and each label is a time series to the monitoring system.
 */
export class TopicCounts {
  private readonly labelled = new Map<string, TopicCount>();
  private readonly other: TopicCount = { published: 0, delivered: 0 };

  constructor(private readonly maxTopics: number) {}

  of(topic: string): TopicCount {
    let count = this.labelled.get(topic);
    if (count === undefined) {
      if (this.labelled.size >= this.maxTopics) {
        return this.other;
      }
      count = { published: 0, delivered: 0 };
      this.labelled.set(topic, count);
    }
    return count;
  }

  /** Each label and its counts; `_other` once a topic has fallen into it. */
  *entries(): IterableIterator<[string, TopicCount]> {
    yield* this.labelled;
    if (this.other.published > 0 || this.other.delivered > 0) {
      yield [OTHER_TOPIC, this.other];
    }
  }
}
