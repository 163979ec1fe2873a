import { Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { parseEnvelope } from '../redis/envelope.js';
import type { ChannelSignal } from '../redis/pubsub.interface.js';
import type { RedisBackend, RedisClient } from '../redis/redis-backend.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { publishIds } from '../redis/publish-ids.js';
import { publishScript, type PublishCommand } from '../redis/redis-scripts.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { TopicFeeds, type Feed } from './topic-feeds.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type Transport,
  type TransportSignal,
} from './transport.interface.js';

/**
 * How long Redis remembers a publish call, so that the same call sent again is stored once. It
 * must outlast ioredis's retries of a command whose answer was lost: on one Redis, one resend once
 * reconnected (the command connection gives up after one retry); on a cluster, up to 16
 * redirections, each after a 100 ms delay and a refresh of the slot map (1 s at most), so under
 * 20 s. A minute is a wide margin, at about 180 bytes in Redis per publish of the last minute.
 */
const KEEP_PUBLISHED_MS = 60_000;

/**
 * Events through Redis, one server or a cluster: the publish script stores and publishes in one
 * step, and every instance, the publisher's included, serves its clients from its subscription, so
 * all see one order and none sees an event twice. What differs between the two is the backend's
 * pub/sub side: classic on one server, sharded (per slot, on the owning node) on a cluster.
 */
export class RedisTransport implements Transport {
  private readonly logger = new Logger(RedisTransport.name);
  private readonly feeds = new TopicFeeds({
    open: (feed) => {
      // Events published while the subscription is down never reach it: UNSUBSCRIBED makes every
      // stream hold what still arrives, SUBSCRIBED again makes it read the rest from history.
      const subscription = this.backend.pubsub.channel(this.keys.live(feed.topic)).subscribe({
        next: (signal) => this.onSignal(feed, signal),
        error: (err: unknown) => this.feeds.fail(feed, err),
      });
      return () => subscription.unsubscribe();
    },
  });
  private readonly redis: RedisClient & PublishCommand;
  private readonly nextPublishId = publishIds();
  private malformedLogged = false;

  constructor(
    private readonly backend: RedisBackend,
    private readonly keys: RedisKeys,
    private readonly historySize: number,
  ) {
    backend.command.defineCommand('ripplePublish', {
      numberOfKeys: 3,
      lua: publishScript(backend.pubsub.publishCommand),
    });
    this.redis = backend.command as RedisClient & PublishCommand;
  }

  get available(): boolean {
    return this.backend.ready;
  }

  async publish(topic: string, event: OutgoingEvent): Promise<TopicEvent> {
    const publishedAt = Date.now();
    // One id per call, however often ioredis sends it: the script stores and publishes it once.
    const id = await this.redis.ripplePublish(
      this.keys.log(topic),
      this.keys.live(topic),
      this.keys.published(topic, this.nextPublishId()),
      this.historySize,
      event.data,
      event.type ?? '',
      publishedAt,
      KEEP_PUBLISHED_MS,
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

  private onSignal(feed: Feed, signal: ChannelSignal): void {
    if (signal === SUBSCRIBED) {
      this.feeds.markLive(feed);
    } else if (signal === UNSUBSCRIBED) {
      this.feeds.markLost(feed);
    } else {
      this.onMessage(feed.topic, signal);
    }
  }

  private onMessage(topic: string, message: string): void {
    const event = parseEnvelope(topic, message);
    if (!event) {
      // Another version or a stranger on our channel: never thrown in the listener.
      if (!this.malformedLogged) {
        this.malformedLogged = true;
        this.logger.warn(`Dropped a malformed message on ${this.keys.live(topic)} (logged once)`);
      }
      return;
    }
    this.feeds.deliver(event);
  }
}
