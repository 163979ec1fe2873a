import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Observable, Subject } from 'rxjs';
import { parseEnvelope } from '../redis/envelope.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { PUBLISH_SCRIPT } from '../redis/redis-scripts.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { SUBSCRIBED, type Transport, type TransportSignal } from './transport.interface.js';

interface PublishCommand {
  ripplePublish(
    log: string,
    live: string,
    maxLength: number,
    data: string,
    type: string,
    publishedAt: number,
  ): Promise<string>;
}

/** A topic this instance listens to: one Redis subscription, however many local subscribers. */
interface Feed {
  subject: Subject<TransportSignal>;
  count: number;
  /** The Redis subscription is confirmed; new local subscribers get SUBSCRIBED at once. */
  live: boolean;
}

/**
 * Events through Redis: the publish script stores and publishes in one step, and every instance,
 * the publisher's included, serves its clients from its subscription, so all see one order and
 * none sees an event twice.
 */
export class RedisTransport implements Transport {
  private readonly logger = new Logger(RedisTransport.name);
  private readonly feeds = new Map<string, Feed>();
  private readonly redis: Redis & PublishCommand;
  private malformedLogged = false;

  constructor(
    private readonly connections: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly historySize: number,
  ) {
    connections.command.defineCommand('ripplePublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.redis = connections.command as Redis & PublishCommand;
    connections.subscriber.on('message', (channel: string, message: string) =>
      this.onMessage(channel, message),
    );
    // Events published while the subscription was down never reach it: SUBSCRIBED again tells
    // every stream to read them from history.
    connections.onSubscriberRecovered(() => this.resubscribeAll());
  }

  get available(): boolean {
    return this.connections.ready;
  }

  async publish(topic: string, event: OutgoingEvent): Promise<TopicEvent> {
    const publishedAt = Date.now();
    const id = await this.redis.ripplePublish(
      this.keys.log(topic),
      this.keys.live(topic),
      this.historySize,
      event.data,
      event.type ?? '',
      publishedAt,
    );
    return { topic, id, type: event.type, data: event.data, publishedAt };
  }

  subscribe(topic: string): Observable<TransportSignal> {
    return new Observable<TransportSignal>((subscriber) => {
      let feed = this.feeds.get(topic);
      if (!feed) {
        feed = { subject: new Subject<TransportSignal>(), count: 0, live: false };
        this.feeds.set(topic, feed);
        this.listen(topic, feed);
      }
      feed.count++;
      const subscription = feed.subject.subscribe(subscriber);
      if (feed.live) {
        subscriber.next(SUBSCRIBED);
      }
      const joined = feed;
      return () => {
        subscription.unsubscribe();
        if (--joined.count === 0 && this.feeds.get(topic) === joined) {
          this.feeds.delete(topic);
          // Commands on one connection run in order, so a later SUBSCRIBE of the topic wins.
          this.connections.subscriber.unsubscribe(this.keys.live(topic)).catch((err: Error) => {
            this.logger.warn(`Could not unsubscribe from ${topic}: ${err.message}`);
          });
        }
      };
    });
  }

  /** Topics with at least one local subscriber, for tests of teardown. */
  get subscribedTopics(): string[] {
    return [...this.feeds.keys()];
  }

  private listen(topic: string, feed: Feed): void {
    this.connections.subscriber.subscribe(this.keys.live(topic)).then(
      () => {
        if (this.feeds.get(topic) === feed) {
          feed.live = true;
          feed.subject.next(SUBSCRIBED);
        }
      },
      (err: Error) => {
        if (this.feeds.get(topic) === feed) {
          this.feeds.delete(topic);
          feed.subject.error(err);
        }
      },
    );
  }

  private resubscribeAll(): void {
    for (const [topic, feed] of this.feeds) {
      feed.live = false;
      this.listen(topic, feed);
    }
  }

  private onMessage(channel: string, message: string): void {
    const topic = this.keys.topicOf(channel);
    const feed = topic === undefined ? undefined : this.feeds.get(topic);
    if (!topic || !feed) {
      return;
    }
    const event = parseEnvelope(topic, message);
    if (!event) {
      // Another version or a stranger on our channel: never thrown in the listener.
      if (!this.malformedLogged) {
        this.malformedLogged = true;
        this.logger.warn(`Dropped a malformed message on ${channel} (logged once)`);
      }
      return;
    }
    feed.subject.next(event);
  }
}
