import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { LeaderLock } from '../backend/leader-lock.interface.js';
import type {
  BackendSeams,
  BackendSettings,
  LeaderLockSettings,
  SseBackend,
} from '../backend/sse-backend.interface.js';
import { RedisClusterConnections } from './redis-cluster-connections.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, type RedisConnectionSet } from './redis-connection-set.js';
import { RedisConnections } from './redis-connections.js';
import { RedisHistory } from './redis-history.js';
import { redisKeys } from './redis-keys.js';
import { RedisLeaderLock } from './redis-leader-lock.js';
import { ping, pingMasters } from './redis-ping.js';
import { RedisTransport } from './redis-transport.js';
import { BAD_REDIS_OPTION, REDIS_NOT_CONNECTED } from './redis.messages.js';

/** What both Redis backends take besides where Redis is. */
export interface RedisCommonOptions {
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. Default `ripple:`. */
  keyPrefix?: string;
  /**
   * How long a Redis command may take, in ms; past it a publish answers 503 and a stream that
   * cannot start answers 503. Default 3000.
   */
  commandTimeoutMs?: number;
}

export interface RedisBackendOptions extends RedisCommonOptions {
  /** `redis://` or `rediss://` URL, with credentials if any. Default `redis://127.0.0.1:6379`. */
  url?: string;
}

export interface RedisClusterBackendOptions extends RedisCommonOptions {
  /**
   * Seed nodes, as `redis://` URLs (a list, or one comma-separated string); the others are
   * found through the cluster. Credentials and TLS come from the first.
   */
  nodes: string | string[];
}

/** What a Redis backend uses for each option not given. */
export const REDIS_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'ripple:',
  commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
} as const;

/**
 * Several instances on one Redis or a Redis Cluster: every event is stored in a Redis stream per
 * topic and made live on the topic's channel in one script, so every instance fans out the same
 * events in one order and any of them can resume any cursor. Connections open when the module
 * starts (not when the object is made) and close at shutdown; one backend object serves one app.
 */
abstract class RedisSseBackend implements SseBackend, OnModuleInit, OnApplicationShutdown {
  abstract readonly name: string;
  protected readonly keyPrefix: string;
  protected readonly commandTimeoutMs: number;
  /** A stream waits for Redis no longer than for one command. */
  get operationTimeoutMs(): number {
    return this.commandTimeoutMs;
  }
  private opened?: RedisConnectionSet;
  private readonly locks: RedisLeaderLock[] = [];

  protected constructor(options: RedisCommonOptions) {
    this.keyPrefix = options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix;
    this.commandTimeoutMs = options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs;
    if (typeof this.keyPrefix !== 'string') {
      throw new Error(this.badOption('keyPrefix', 'a string', this.keyPrefix));
    }
    if (!Number.isSafeInteger(this.commandTimeoutMs) || this.commandTimeoutMs < 1) {
      throw new Error(this.badOption('commandTimeoutMs', 'an integer >= 1', this.commandTimeoutMs));
    }
  }

  /** The instance's connections, shared by the transport, the history and the leader lock. */
  get connections(): RedisConnectionSet {
    this.opened ??= this.connect();
    return this.opened;
  }

  protected abstract connect(): RedisConnectionSet;

  protected badOption(option: string, expected: string, got: unknown): string {
    return BAD_REDIS_OPTION(this.constructor.name, option, expected, got);
  }

  createSeams(settings: BackendSettings): BackendSeams {
    const keys = redisKeys(this.keyPrefix);
    return {
      transport: new RedisTransport(this.connections, keys, settings.historySize, {
        commandTimeoutMs: this.commandTimeoutMs,
        idempotencyWindowMs: settings.idempotencyWindowMs,
      }),
      history: new RedisHistory(this.connections, keys),
    };
  }

  /**
   * Its connections are up (on one Redis, the subscriber's too: without it no live event arrives)
   * and a PING comes back in time, through the instance's own connections.
   */
  async check(): Promise<Record<string, unknown>> {
    const connections = this.connections;
    if (!connections.ready) {
      throw new Error(REDIS_NOT_CONNECTED());
    }
    return connections instanceof RedisClusterConnections
      ? pingMasters(connections.command)
      : ping(connections.command);
  }

  connectionStates(): Readonly<Record<string, boolean>> {
    return this.opened?.connectionsUp ?? {};
  }

  /** A lease (`SET NX PX`, renewed while held) on the instance's command connection. */
  createLeaderLock(settings: LeaderLockSettings): LeaderLock {
    const lock = new RedisLeaderLock(
      this.connections.command,
      this.keyPrefix,
      settings.leaseMs,
      settings.instanceId,
    );
    this.locks.push(lock);
    return lock;
  }

  async onModuleInit(): Promise<void> {
    await this.opened?.onModuleInit();
  }

  /**
   * Closes the connections once the leases given up at shutdown (the producers stop before this
   * runs) have been released: each passes at once to another instance, not after it runs out.
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.locks.map((lock) => lock.settled()));
    await this.opened?.onApplicationShutdown();
  }
}

/** Several instances on one Redis (7 or later). */
export class RedisBackend extends RedisSseBackend {
  readonly name = 'redis';
  private readonly url: string;

  constructor(options: RedisBackendOptions = {}) {
    super(options);
    this.url = options.url ?? REDIS_DEFAULTS.url;
    if (typeof this.url !== 'string' || this.url.trim() === '') {
      throw new Error(this.badOption('url', 'a redis:// URL', this.url));
    }
  }

  protected connect(): RedisConnectionSet {
    return new RedisConnections(this.url, this.keyPrefix, this.commandTimeoutMs);
  }
}

/** Several instances on a Redis Cluster (7 or later), with sharded pub/sub. */
export class RedisClusterBackend extends RedisSseBackend {
  readonly name = 'redis-cluster';
  private readonly nodes: string;

  constructor(options: RedisClusterBackendOptions) {
    super(options);
    const nodes = options?.nodes;
    this.nodes = Array.isArray(nodes) ? nodes.join(',') : nodes;
    if (typeof this.nodes !== 'string' || this.nodes.trim() === '') {
      throw new Error(this.badOption('nodes', 'one or more redis:// URLs', nodes));
    }
  }

  protected connect(): RedisConnectionSet {
    return new RedisClusterConnections(this.nodes, this.keyPrefix, this.commandTimeoutMs);
  }
}
