import { Observable, Subject } from 'rxjs';
import type { TopicEvent } from '../../src/sse/topic-event.interface.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type OncePublished,
  type Transport,
  type TransportSignal,
} from '../../src/sse/transport/transport.interface.js';

/** A stored event of `topic` with id `<ms>-<seq>` and the ms as its data: `ev('t', 3)` is `t` `3-0`. */
export function ev(topic: string, ms: number, seq = 0): TopicEvent {
  return { topic, id: `${ms}-${seq}`, data: String(ms), publishedAt: 0 };
}

/**
 * A Transport whose signals the test sends by hand: nothing arrives on a topic until the test says
 * SUBSCRIBED, an event, UNSUBSCRIBED, an end or an error. It counts the subscriptions it has open,
 * so a test can check that none is left behind.
 */
export class ScriptedTransport implements Transport {
  readonly available = true;
  private readonly upstreams = new Map<string, Subject<TransportSignal>>();
  private readonly open = new Map<string, number>();
  /** Every `subscribe()` subscribed, in order. */
  readonly subscribedTopics: string[] = [];

  subscribe(topic: string): Observable<TransportSignal> {
    return new Observable<TransportSignal>((subscriber) => {
      this.subscribedTopics.push(topic);
      this.open.set(topic, (this.open.get(topic) ?? 0) + 1);
      const subscription = this.upstream(topic).subscribe(subscriber);
      return () => {
        this.open.set(topic, this.open.get(topic)! - 1);
        subscription.unsubscribe();
      };
    });
  }

  /** The topic's subscription is in place. */
  subscribed(topic: string): void {
    this.upstream(topic).next(SUBSCRIBED);
  }

  /** The topic's subscription is lost (a dropped Redis connection). */
  unsubscribed(topic: string): void {
    this.upstream(topic).next(UNSUBSCRIBED);
  }

  /** Live events of their topics, in the order given. */
  live(...events: TopicEvent[]): void {
    for (const event of events) {
      this.upstream(event.topic).next(event);
    }
  }

  /** The transport ends the topic (shutdown). */
  end(topic: string): void {
    this.upstream(topic).complete();
    this.upstreams.delete(topic);
  }

  /** The topic's subscription fails for good. */
  fail(topic: string, err: unknown): void {
    this.upstream(topic).error(err);
    this.upstreams.delete(topic);
  }

  /** Subscriptions open now, of `topic` or of all topics. */
  subscriptions(topic?: string): number {
    if (topic !== undefined) {
      return this.open.get(topic) ?? 0;
    }
    return [...this.open.values()].reduce((sum, n) => sum + n, 0);
  }

  publish(): Promise<TopicEvent> {
    return Promise.reject(new Error('ScriptedTransport: publishing is not scripted'));
  }

  publishOnce(): Promise<OncePublished> {
    return Promise.reject(new Error('ScriptedTransport: publishing is not scripted'));
  }

  private upstream(topic: string): Subject<TransportSignal> {
    let upstream = this.upstreams.get(topic);
    if (!upstream) {
      upstream = new Subject<TransportSignal>();
      this.upstreams.set(topic, upstream);
    }
    return upstream;
  }
}
