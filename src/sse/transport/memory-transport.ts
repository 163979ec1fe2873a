import type { MemoryHistory } from '../history/memory-history.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { eventFingerprint, IdempotencyKeys } from './idempotency.js';
import { TopicFeeds } from './topic-feeds.js';
import type { OncePublished, Transport, TransportSignal } from './transport.interface.js';
import type { Observable } from 'rxjs';

export interface MemoryIdempotencyOptions {
  /** How long a key is remembered, in ms. */
  windowMs: number;
  /** Keys remembered at most; the oldest go first. */
  maxKeys: number;
}

/**
 * One process: storing and fanning out happen in the same synchronous step, so every subscriber
 * sees history and live in one order.
 */
export class MemoryTransport implements Transport {
  readonly available = true;
  private readonly feeds = new TopicFeeds({
    // Nothing upstream: a feed is live as soon as it exists. The history keeps the topic's log
    // while it has subscribers (a resume from it stays exact), and may forget it after.
    open: (feed) => {
      this.history.subscribe(feed.topic);
      this.feeds.markLive(feed);
      return () => this.history.unsubscribe(feed.topic);
    },
  });
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly history: MemoryHistory,
    idempotency: MemoryIdempotencyOptions = { windowMs: 600_000, maxKeys: 10_000 },
  ) {
    this.keys = new IdempotencyKeys(idempotency.windowMs, idempotency.maxKeys);
  }

  publish(topic: string, event: OutgoingEvent): Promise<TopicEvent> {
    const stored = this.history.append(topic, event);
    this.feeds.deliver(stored);
    return Promise.resolve(stored);
  }

  publishOnce(topic: string, event: OutgoingEvent, key: string): Promise<OncePublished> {
    const fingerprint = eventFingerprint(event);
    const earlier = this.keys.find(topic, key);
    if (earlier) {
      return Promise.resolve({
        topic,
        id: earlier.id,
        replayed: true,
        conflict: earlier.fingerprint !== fingerprint,
      });
    }
    const stored = this.history.append(topic, event);
    this.keys.remember(topic, key, stored.id, fingerprint);
    this.feeds.deliver(stored);
    return Promise.resolve({ topic, id: stored.id, replayed: false, conflict: false });
  }

  subscribe(topic: string): Observable<TransportSignal> {
    return this.feeds.observe(topic);
  }

  /** Topics with at least one local subscriber, for tests of teardown. */
  get subscribedTopics(): string[] {
    return this.feeds.topics;
  }
}
