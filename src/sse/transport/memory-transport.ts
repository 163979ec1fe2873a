import { Observable, Subject } from 'rxjs';
import { MemoryHistory } from '../history/memory-history.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { SUBSCRIBED, type Transport, type TransportSignal } from './transport.interface.js';

/**
 * One process: storing and fanning out happen in the same synchronous step, so every subscriber
 * sees history and live in one order.
 */
export class MemoryTransport implements Transport {
  /** Only topics with subscribers have a Subject; the last one to leave removes it. */
  private readonly feeds = new Map<string, { subject: Subject<TopicEvent>; count: number }>();

  readonly available = true;

  constructor(private readonly history: MemoryHistory) {}

  publish(topic: string, event: OutgoingEvent): Promise<TopicEvent> {
    const stored = this.history.append(topic, event);
    this.feeds.get(topic)?.subject.next(stored);
    return Promise.resolve(stored);
  }

  subscribe(topic: string): Observable<TransportSignal> {
    return new Observable<TransportSignal>((subscriber) => {
      let feed = this.feeds.get(topic);
      if (!feed) {
        feed = { subject: new Subject<TopicEvent>(), count: 0 };
        this.feeds.set(topic, feed);
      }
      feed.count++;
      const subscription = feed.subject.subscribe(subscriber);
      subscriber.next(SUBSCRIBED);
      const joined = feed;
      return () => {
        subscription.unsubscribe();
        if (--joined.count === 0 && this.feeds.get(topic) === joined) {
          this.feeds.delete(topic);
        }
      };
    });
  }

  /** Topics with at least one local subscriber, for tests of teardown. */
  get subscribedTopics(): string[] {
    return [...this.feeds.keys()];
  }
}
