import { Observable, Subject } from 'rxjs';
import type { TopicEvent } from '../topic-event.interface.js';
import { SUBSCRIBED, UNSUBSCRIBED, type TransportSignal } from './transport.interface.js';

/** A topic with local subscribers: one upstream subscription, however many of them. */
export interface Feed {
  readonly topic: string;
  readonly subject: Subject<TransportSignal>;
  count: number;
  /** The upstream subscription is in place: a new local subscriber gets SUBSCRIBED at once. */
  live: boolean;
  /** Unsubscribes upstream, when the last local subscriber leaves. */
  release?: () => void;
}

export interface FeedUpstream {
  /**
   * The first local subscriber of a topic arrived: subscribe upstream and call `markLive` once in
   * place (`markLost` when that subscription drops, `markLive` again when it is back). Returns what
   * unsubscribes upstream when the last one leaves.
   */
  open(feed: Feed): () => void;
}

/**
 * The local side of a transport: shares one upstream subscription per topic among local
 * subscribers, and forgets a topic when its last subscriber leaves, so the map never outgrows
 * what clients are reading.
 */
export class TopicFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly upstream: FeedUpstream) {}

  observe(topic: string): Observable<TransportSignal> {
    return new Observable<TransportSignal>((subscriber) => {
      let feed = this.feeds.get(topic);
      if (!feed) {
        feed = { topic, subject: new Subject<TransportSignal>(), count: 0, live: false };
        this.feeds.set(topic, feed);
        feed.release = this.upstream.open(feed);
      }
      feed.count++;
      const subscription = feed.subject.subscribe(subscriber);
      if (feed.live) {
        subscriber.next(SUBSCRIBED);
      }
      const joined = feed;
      return () => {
        subscription.unsubscribe();
        if (--joined.count === 0 && this.isCurrent(joined)) {
          this.feeds.delete(topic);
          joined.release?.();
        }
      };
    });
  }

  /** Delivers to the local subscribers of the event's topic, if any. */
  deliver(event: TopicEvent): void {
    this.feeds.get(event.topic)?.subject.next(event);
  }

  has(topic: string): boolean {
    return this.feeds.has(topic);
  }

  /** The upstream subscription of `feed` is (again) in place. */
  markLive(feed: Feed): void {
    if (this.isCurrent(feed)) {
      feed.live = true;
      feed.subject.next(SUBSCRIBED);
    }
  }

  /** The upstream subscription of `feed` dropped: it may miss events until `markLive` again. */
  markLost(feed: Feed): void {
    if (this.isCurrent(feed) && feed.live) {
      feed.live = false;
      feed.subject.next(UNSUBSCRIBED);
    }
  }

  /** The upstream subscription of `feed` failed for good: its subscribers get the error. */
  fail(feed: Feed, err: unknown): void {
    if (this.isCurrent(feed)) {
      this.feeds.delete(feed.topic);
      feed.subject.error(err);
    }
  }

  get topics(): string[] {
    return [...this.feeds.keys()];
  }

  private isCurrent(feed: Feed): boolean {
    return this.feeds.get(feed.topic) === feed;
  }
}
