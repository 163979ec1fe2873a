import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import { parseEnvelope } from '../redis/envelope.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { PUBLISH_SCRIPT } from '../redis/redis-scripts.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { TopicFeeds, type Feed } from './topic-feeds.js';
import type { Transport, TransportSignal } from './transport.interface.js';

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

/**
 * Events through Redis: the publish script stores and publishes in one step, and every instance,
 * the publisher's included, serves its clients from its subscription, so all see one order and
 * none sees an event twice.
 */
export class RedisTransport implements Transport {
  private readonly logger = new Logger(RedisTransport.name);
  private readonly feeds = new TopicFeeds({
    open: (feed) => this.listen(feed),
    // Commands on one connection run in order, so a later SUBSCRIBE of the topic wins.
    close: (topic) =>
      void this.connections.subscriber.unsubscribe(this.keys.live(topic)).catch((err: Error) => {
        this.logger.warn(`Could not unsubscribe from ${topic}: ${err.message}`);
      }),
  });
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
    // Events published while the subscription is down never reach it: UNSUBSCRIBED makes every
    // stream hold what still arrives, SUBSCRIBED again makes it read the rest from history.
    connections.onSubscriberLost(() => this.feeds.lostAll());
    connections.onSubscriberRecovered(() => this.feeds.reopenAll());
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
    return this.feeds.observe(topic);
  }

  /** Topics with at least one local subscriber, for tests of teardown. */
  get subscribedTopics(): string[] {
    return this.feeds.topics;
  }

  private listen(feed: Feed): void {
    this.connections.subscriber.subscribe(this.keys.live(feed.topic)).then(
      () => this.feeds.markLive(feed),
      (err: unknown) => this.feeds.fail(feed, err),
    );
  }

  private onMessage(channel: string, message: string): void {
    const topic = this.keys.topicOf(channel);
    if (topic === undefined || !this.feeds.has(topic)) {
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
    this.feeds.deliver(event);
  }
}
