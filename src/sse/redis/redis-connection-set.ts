import type { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { PubSub } from './pubsub.interface.js';

/** How long the start waits for Redis before going on without it. */
const STARTUP_WAIT_MS = 5000;

/**
 * How long a command may go unanswered before it fails, unless configured: a hung Redis (stopped,
 * swapping, a long script) keeps its connections open and answers nothing, and a request must not
 * wait for it.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 3000;

/** What runs Ripple's commands and scripts: one Redis, or a cluster that routes by hash slot. */
export type RedisClient = Redis | Cluster;

/**
 * An instance's connections to Redis, one server or a cluster: a client for commands and scripts,
 * and the pub/sub side the transport subscribes through. Every part of Ripple that needs Redis
 * (transport, history, leader lock) shares them, and they are closed once, at shutdown.
 */
export abstract class RedisConnectionSet implements OnModuleInit, OnApplicationShutdown {
  protected abstract readonly logger: Logger;
  abstract readonly command: RedisClient;
  abstract readonly pubsub: PubSub;
  /** Commands (and, on one server, subscriptions) can be made now. */
  abstract readonly ready: boolean;
  /** Whether each of the instance's connections is up now, by name, for metrics. */
  abstract readonly connectionsUp: Readonly<Record<string, boolean>>;
  protected closed = false;
  private readonly down = new Set<string>();

  constructor(
    /** Prefix of every key and channel Ripple makes. */
    readonly keyPrefix: string,
  ) {}

  /**
   * Resolves once ready, or after `timeoutMs` regardless: a Redis that is down at start must not
   * keep the service from starting (it reports not ready, and recovers).
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

  abstract onApplicationShutdown(): Promise<void>;

  /**
   * Notes that the connection `name` dropped, logging it once per outage however many times
   * ioredis retries meanwhile. True when it was up until now.
   */
  protected markDown(name: string, reason: string): boolean {
    if (this.closed || this.down.has(name)) {
      return false;
    }
    this.down.add(name);
    this.logger.error(`Redis ${name} connection lost (${reason}); retrying`);
    return true;
  }

  /** Notes that the connection `name` is up; logs it when it was down. */
  protected markUp(name: string): void {
    if (this.down.delete(name)) {
      this.logger.log(`Redis ${name} connection restored`);
    }
  }
}

/** Says goodbye to a client, or drops it when it is not connected. */
export async function quit(client: RedisClient): Promise<void> {
  try {
    await client.quit();
  } catch {
    // Not connected: nothing to say goodbye to.
    client.disconnect();
  }
}
