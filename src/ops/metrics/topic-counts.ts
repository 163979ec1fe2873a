import { OTHER_TOPIC, PRIVATE_TOPIC } from './metrics.constants.js';

export interface TopicCount {
  published: number;
  delivered: number;
}

/**
 * Events per topic, under at most `maxTopics` topic labels: the first topics seen keep their own
 * for the life of the process, every later one counts under `_other`. Topic names come from
 * clients, and each label is a time series to the monitoring system. Private topics never get a
 * label of their own (their names are for their subscribers only): they all count under
 * `_private`, outside the cap.
 */
export class TopicCounts {
  private readonly labelled = new Map<string, TopicCount>();
  private readonly other: TopicCount = { published: 0, delivered: 0 };
  private readonly secret: TopicCount = { published: 0, delivered: 0 };

  constructor(
    private readonly maxTopics: number,
    private readonly isPrivate: (topic: string) => boolean = () => false,
  ) {}

  of(topic: string): TopicCount {
    let count = this.labelled.get(topic);
    if (count === undefined) {
      if (this.isPrivate(topic)) {
        return this.secret;
      }
      if (this.labelled.size >= this.maxTopics) {
        return this.other;
      }
      count = { published: 0, delivered: 0 };
      this.labelled.set(topic, count);
    }
    return count;
  }

  /** Each label and its counts; `_other` and `_private` once a topic has fallen into them. */
  *entries(): IterableIterator<[string, TopicCount]> {
    yield* this.labelled;
    for (const [label, count] of [
      [OTHER_TOPIC, this.other],
      [PRIVATE_TOPIC, this.secret],
    ] as const) {
      if (count.published > 0 || count.delivered > 0) {
        yield [label, count];
      }
    }
  }
}
