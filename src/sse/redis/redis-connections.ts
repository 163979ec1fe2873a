import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { ClassicPubSub } from './classic-pubsub.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, quit, RedisConnectionSet } from './redis-connection-set.js';

/**
 * The instance's two connections to one Redis: one for commands, one for subscriptions (a
 * connection in subscriber mode takes no other command).
 */
export class RedisConnections extends RedisConnectionSet {
  protected readonly logger = new Logger(RedisConnections.name);
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly pubsub: ClassicPubSub;
  /** The subscriber dropped and the pub/sub side has not been told it is back. */
  private subscriberLost = false;

  constructor(
    url: string,
    keyPrefix: string,
    /** A command not answered by then fails (see RedisConnectionSet). */
    commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {
    super(keyPrefix);
    const common: RedisOptions = {
      // Redis's own retry: capped exponential backoff, forever; errors are logged once per outage.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2000),
      // A Redis that hangs (stopped, swapping, a long script) keeps the connection open and answers
      // nothing: without a deadline a SUBSCRIBE or a read would wait for as long.
      commandTimeout: commandTimeoutMs,
    };
    this.command = new Redis(url, {
      ...common,
      connectionName: 'ripple:command',
      // While Redis is away a publish must fail at once (503), not wait in a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Publishes issued in one turn leave in one write (and Redis reads them in one read): the
      // socket write per command was a quarter of a publishing instance's CPU.
      enableAutoPipelining: true,
    });
    this.subscriber = new Redis(url, {
      ...common,
      connectionName: 'ripple:subscriber',
      // RESP2 keeps a subscriber connection in the classic subscriber mode.
      protocol: 2,
      maxRetriesPerRequest: null,
      // ClassicPubSub subscribes every channel again once both connections are back, and handles
      // the answer; ioredis's own resubscription leaves its promise unhandled, which a command
      // deadline could reject (an unhandled rejection ends the process).
      autoResubscribe: false,
    });
    this.pubsub = new ClassicPubSub(this.subscriber);
    this.watch('command', this.command);
    this.watch('subscriber', this.subscriber);
  }

  /** Both connections are up. */
  get ready(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  get connectionsUp(): { command: boolean; subscriber: boolean } {
    return {
      command: this.command.status === 'ready',
      subscriber: this.subscriber.status === 'ready',
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([quit(this.command), quit(this.subscriber)]);
  }

  private watch(name: string, client: Redis): void {
    const lost = (reason: string) => {
      if (this.markDown(name, reason) && client === this.subscriber) {
        this.subscriberLost = true;
        this.pubsub.lost();
      }
    };
    client.on('error', (err: Error) => lost(err.message));
    client.on('close', () => lost('closed'));
    client.on('ready', () => {
      this.markUp(name);
      // Streams catch up from history through the command connection: both must be back.
      if (this.subscriberLost && this.ready) {
        this.subscriberLost = false;
        this.pubsub.recovered();
      }
    });
  }
}
