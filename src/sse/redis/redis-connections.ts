import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/** How long the start waits for Redis before going on without it. */
const STARTUP_WAIT_MS = 5000;

/**
 * The instance's two Redis connections: one for commands, one for subscriptions (a connection in
 * subscriber mode takes no other command). Every part of Ripple that needs Redis shares them.
 */
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly command: Redis;
  readonly subscriber: Redis;
  private readonly down = new Set<string>();
  private readonly recoveredListeners = new Set<() => void>();
  private readonly lostListeners = new Set<() => void>();
  private closed = false;
  /** The subscriber dropped and the recovery listeners have not been told it is back. */
  private subscriberLost = false;

  constructor(
    url: string,
    /** Prefix of every key and channel Ripple makes. */
    readonly keyPrefix: string,
  ) {
    const common: RedisOptions = {
      // Redis's own retry: capped exponential backoff, forever; errors are logged once per outage.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2000),
    };
    this.command = new Redis(url, {
      ...common,
      connectionName: 'ripple:command',
      // While Redis is away a publish must fail at once (503), not wait in a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.subscriber = new Redis(url, {
      ...common,
      connectionName: 'ripple:subscriber',
      // RESP2 keeps a subscriber connection in the classic subscriber mode.
      protocol: 2,
      maxRetriesPerRequest: null,
    });
    this.watch('command', this.command);
    this.watch('subscriber', this.subscriber);
  }

  /** Both connections are up. */
  get ready(): boolean {
    return this.command.status === 'ready' && this.subscriber.status === 'ready';
  }

  /**
   * Resolves once both connections are up, or after `timeoutMs` regardless: a Redis that is down at
   * start must not keep the service from starting (it reports not ready, and recovers).
   */
  async whenReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready && Date.now() < deadline && !this.closed) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.ready;
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.whenReady(STARTUP_WAIT_MS))) {
      this.logger.error(`Redis is not reachable yet; starting anyway, not ready until it is`);
    }
  }

  /** Calls `listener` each time the subscriber connection drops. */
  onSubscriberLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Calls `listener` each time the subscriber connection is back after an outage. */
  onSubscriberRecovered(listener: () => void): () => void {
    this.recoveredListeners.add(listener);
    return () => this.recoveredListeners.delete(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.recoveredListeners.clear();
    this.lostListeners.clear();
    await Promise.all([quit(this.command), quit(this.subscriber)]);
  }

  private watch(name: string, client: Redis): void {
    // Lost: logged once per outage, however many times ioredis retries meanwhile.
    const lost = (reason: string) => {
      if (!this.closed && !this.down.has(name)) {
        this.down.add(name);
        this.logger.error(`Redis ${name} connection lost (${reason}); retrying`);
        if (client === this.subscriber) {
          this.subscriberLost = true;
          this.lostListeners.forEach((listener) => listener());
        }
      }
    };
    client.on('error', (err: Error) => lost(err.message));
    client.on('close', () => lost('closed'));
    client.on('ready', () => {
      if (this.down.delete(name)) {
        this.logger.log(`Redis ${name} connection restored`);
      }
      // Streams catch up from history through the command connection: both must be back.
      if (this.subscriberLost && this.ready) {
        this.subscriberLost = false;
        this.recoveredListeners.forEach((listener) => listener());
      }
    });
  }
}

async function quit(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    // Not connected: nothing to say goodbye to.
    client.disconnect();
  }
}
