import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Observable, type Subscriber } from 'rxjs';
import { SUBSCRIBED, UNSUBSCRIBED } from '../transport/transport.interface.js';
import type { ChannelSignal, PubSub } from './pubsub.interface.js';

/**
 * Classic pub/sub on one Redis: SUBSCRIBE per channel on the instance's subscriber connection
 * (PUBLISH reaches every subscriber of the server).
 */
export class ClassicPubSub implements PubSub {
  readonly publishCommand = 'PUBLISH';
  private readonly logger = new Logger(ClassicPubSub.name);
  private readonly channels = new Map<string, Subscriber<ChannelSignal>>();

  constructor(private readonly subscriber: Redis) {
    subscriber.on('message', (channel: string, message: string) =>
      this.channels.get(channel)?.next(message),
    );
  }

  channel(channel: string): Observable<ChannelSignal> {
    return new Observable<ChannelSignal>((subscriber) => {
      this.channels.set(channel, subscriber);
      this.subscribe(channel, subscriber);
      return () => {
        if (this.channels.get(channel) === subscriber) {
          this.channels.delete(channel);
        }
        // Commands on one connection run in order, so a later SUBSCRIBE of the channel wins.
        this.subscriber.unsubscribe(channel).catch((err: Error) => {
          this.logger.warn(`Could not unsubscribe from ${channel}: ${err.message}`);
        });
      };
    });
  }

  /** The subscriber connection dropped: messages published until it is back are missed. */
  lost(): void {
    this.channels.forEach((subscriber) => subscriber.next(UNSUBSCRIBED));
  }

  /**
   * It is back (ioredis's own resubscription is off, see RedisConnections): each channel subscribes
   * again and says SUBSCRIBED once in place, after an UNSUBSCRIBED for any that went live during
   * the outage.
   */
  recovered(): void {
    this.channels.forEach((subscriber, channel) => {
      subscriber.next(UNSUBSCRIBED);
      this.subscribe(channel, subscriber);
    });
  }

  private subscribe(channel: string, subscriber: Subscriber<ChannelSignal>): void {
    // A subscriber that left meanwhile is closed, and ignores both.
    this.subscriber.subscribe(channel).then(
      () => subscriber.next(SUBSCRIBED),
      (err: unknown) => subscriber.error(err),
    );
  }
}
