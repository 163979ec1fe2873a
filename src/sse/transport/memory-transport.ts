import type { MemoryHistory } from '../history/memory-history.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { TopicFeeds } from './topic-feeds.js';
import type { Transport, TransportSignal } from './transport.interface.js';
import type { Observable } from 'rxjs';

/**
 * One process: storing and fanning out happen in the same synchronous step, so every subscriber
 * sees history and live in one order.
 */
export class MemoryTransport implements Transport {
  readonly available = true;
  private readonly feeds = new TopicFeeds({
    // Nothing upstream: a feed is live as soon as it exists, and nothing is left to release.
    open: (feed) => {
      this.feeds.markLive(feed);
      return () => undefined;
    },
  });

  constructor(private readonly history: MemoryHistory) {}

  publish(topic: string, event: OutgoingEvent): Promise<TopicEvent> {
    const stored = this.history.append(topic, event);
    this.feeds.deliver(stored);
    return Promise.resolve(stored);
  }

  subscribe(topic: string): Observable<TransportSignal> {
    return this.feeds.observe(topic);
  }

  /** Topics with at least one local subscriber, for tests of teardown. */
  get subscribedTopics(): string[] {
    return this.feeds.topics;
  }
}
