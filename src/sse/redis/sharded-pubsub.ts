import { Logger } from '@nestjs/common';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { Observable, type Subscriber } from 'rxjs';
import { SUBSCRIBED, UNSUBSCRIBED } from '../transport/transport.interface.js';
import type { ChannelSignal, PubSub } from './pubsub.interface.js';
import { hashSlot } from './redis-keys.js';

/**
 * A lost subscription is made again at once (after a refresh of the slot map), then, while that
 * keeps failing (a dead master whose replica has not taken over yet), after 50 ms, doubling up to
 * 250 ms: a stream waits at most that long after the takeover.
 */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 250;
/** A subscriber connection that is not up by then is given up, and its channels placed again. */
const CONNECT_TIMEOUT_MS = 2000;

/** One channel's subscription, and the node it is made on. */
interface Placement {
  readonly channel: string;
  readonly slot: number;
  readonly subscriber: Subscriber<ChannelSignal>;
  /** The node it is subscribed (or being subscribed) on; none while it waits to be placed. */
  node?: ShardNode;
  /** Counts attempts, so that the answer to one that was overtaken is ignored. */
  attempt: number;
}

/** A subscriber connection to one master, and the channels subscribed on it. */
interface ShardNode {
  /** `host:port`, as the cluster's slot map names it. */
  readonly key: string;
  readonly redis: Redis;
  readonly placements: Set<Placement>;
}

/**
 * Sharded pub/sub on a Redis Cluster (Redis 7): each channel is subscribed with SSUBSCRIBE on the
 * master that owns its hash slot, over one subscriber connection per master, and SPUBLISH reaches
 * only that shard. The slot map is the cluster client's.
 *
 * When a node's connection drops (the master died), or the node reports that slots moved away
 * (Redis unsubscribes a slot's channels when it loses the slot: in a migration, or when a failover
 * demotes it), or it turns out not to be a master, every channel on that node says UNSUBSCRIBED,
 * and is subscribed again where the refreshed slot map says its slot now is, saying SUBSCRIBED once
 * it is: the transport's streams read what they missed from history then.
 *
 * ioredis's own `shardedSubscribers` option resubscribes too, but tells its user neither which
 * channels may have missed messages nor when each is in place again (its resubscription is not
 * awaited), which is what a resumable stream needs to know; and it does not check for a replica.
 */
export class ShardedPubSub implements PubSub {
  readonly publishCommand = 'SPUBLISH';
  private readonly logger = new Logger(ShardedPubSub.name);
  private readonly placements = new Map<string, Placement>();
  private readonly nodes = new Map<string, ShardNode>();
  /** Placements waiting to be made again, after the next refresh of the slot map. */
  private readonly pending = new Set<Placement>();
  private retryTimer?: NodeJS.Timeout;
  /** Retry rounds since a subscription was last made, for the backoff. */
  private retries = 0;
  /** Nodes whose loss was logged and that have carried no subscription since. */
  private readonly down = new Set<string>();
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    /** Options of the subscriber connections (credentials, TLS, name). */
    private readonly nodeOptions: RedisOptions,
  ) {}

  channel(channel: string): Observable<ChannelSignal> {
    return new Observable<ChannelSignal>((subscriber) => {
      const placement: Placement = { channel, slot: hashSlot(channel), subscriber, attempt: 0 };
      this.placements.set(channel, placement);
      this.place(placement);
      return () => {
        if (this.placements.get(channel) === placement) {
          this.placements.delete(channel);
        }
        this.pending.delete(placement);
        this.unplace(placement);
      };
    });
  }

  /** The channels subscribed on each node now, by `host:port`; for tests and operators. */
  get subscriptions(): Map<string, string[]> {
    return new Map(
      [...this.nodes.values()].map((node) => [
        node.key,
        [...node.placements].map((placement) => placement.channel),
      ]),
    );
  }

  /** Closes every subscriber connection; nothing is subscribed again after. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.pending.clear();
    for (const node of this.nodes.values()) {
      node.redis.disconnect();
    }
    this.nodes.clear();
  }

  /** Subscribes on the master that owns the channel's slot, as far as the slot map knows. */
  private place(placement: Placement): void {
    if (this.closed) {
      return;
    }
    const owner = this.cluster.slots[placement.slot]?.[0];
    if (owner === undefined) {
      // No slot map yet (the cluster client is still connecting), or no owner (the cluster is down).
      this.retry(placement);
      return;
    }
    const node = this.nodeFor(owner);
    const attempt = ++placement.attempt;
    placement.node = node;
    node.placements.add(placement);
    node.redis
      .ssubscribe(placement.channel)
      // Then, on the same connection, whether the node is a master now. A replica takes SSUBSCRIBE
      // for its master's slots too, but may never pass on what is published: a subscription made
      // on a master that was just demoted (the slot map was behind) would hear nothing, and no
      // unsubscribe would say so. On a master, any later loss of the slot unsubscribes it.
      .then(() => node.redis.role() as Promise<[string, ...unknown[]]>)
      .then(
        ([role]) => {
          if (placement.attempt !== attempt) {
            return;
          }
          if (role !== 'master') {
            this.drop(node, 'no longer a master');
            return;
          }
          this.retries = 0;
          if (this.down.delete(node.key)) {
            this.logger.log(`Sharded subscriptions on ${node.key} work again`);
          }
          placement.subscriber.next(SUBSCRIBED);
        },
        () => {
          // The node's connection failed, or it answered MOVED (the map was behind): it is dropped
          // for that (see nodeFor), which usually overtook this attempt already.
          if (placement.attempt === attempt) {
            this.unplace(placement);
            this.retry(placement);
          }
        },
      );
  }

  /** Takes a placement off its node: unsubscribes there, or closes the node's connection if idle. */
  private unplace(placement: Placement): void {
    const node = placement.node;
    placement.attempt++;
    placement.node = undefined;
    if (!node?.placements.delete(placement)) {
      return;
    }
    if (node.placements.size > 0) {
      node.redis.sunsubscribe(placement.channel).catch((err: Error) => {
        this.logger.debug(`Could not unsubscribe from ${placement.channel}: ${err.message}`);
      });
    } else if (this.nodes.get(node.key) === node) {
      this.nodes.delete(node.key);
      node.redis.disconnect();
    }
  }

  /** Makes the placement again once the slot map has been refreshed, after a growing delay. */
  private retry(placement: Placement): void {
    if (this.closed || placement.subscriber.closed) {
      return;
    }
    this.pending.add(placement);
    if (this.retryTimer === undefined) {
      const delay =
        this.retries === 0 ? 0 : Math.min(RETRY_FIRST_MS * 2 ** (this.retries - 1), RETRY_MAX_MS);
      this.retries++;
      this.retryTimer = setTimeout(() => {
        this.cluster.refreshSlotsCache(() => {
          this.retryTimer = undefined;
          const due = [...this.pending];
          this.pending.clear();
          if (!this.closed) {
            due.forEach((placement) => this.place(placement));
          }
        });
      }, delay);
    }
  }

  /**
   * Every channel of a node that dropped, or that lost slots, may miss messages until it is
   * subscribed again where its slot is now.
   */
  private drop(node: ShardNode, reason: string): void {
    if (this.nodes.get(node.key) !== node) {
      return;
    }
    this.nodes.delete(node.key);
    node.redis.disconnect();
    const lost = [...node.placements];
    node.placements.clear();
    if (lost.length > 0 && !this.closed && !this.down.has(node.key)) {
      this.down.add(node.key);
      this.logger.warn(
        `Sharded subscriptions on ${node.key} lost (${reason}); subscribing ${lost.length} channel(s) again where their slots are now`,
      );
    }
    for (const placement of lost) {
      placement.attempt++;
      placement.node = undefined;
      placement.subscriber.next(UNSUBSCRIBED);
      this.retry(placement);
    }
  }

  private nodeFor(key: string): ShardNode {
    const existing = this.nodes.get(key);
    if (existing) {
      return existing;
    }
    const colon = key.lastIndexOf(':');
    const redis = new Redis({
      ...this.nodeOptions,
      host: key.slice(0, colon),
      port: Number(key.slice(colon + 1)),
      // RESP3, so that the connection takes ROLE while it is subscribed.
      protocol: 3,
      // No reconnection: a dropped node's channels are placed again from the slot map, which may
      // name another node by then (a replica that took over).
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    const node: ShardNode = { key, redis, placements: new Set() };
    this.nodes.set(key, node);
    redis.on('smessage', (channel: string, message: string) => {
      const placement = this.placements.get(channel);
      // Only from where the channel is subscribed now: never a message twice, from two nodes.
      if (placement?.node === node) {
        placement.subscriber.next(message);
      }
    });
    // Emitted when Redis unsubscribes channels because their slot moved away, and on a MOVED answer.
    redis.on('moved', () => this.drop(node, 'slots moved'));
    redis.on('error', (err: Error) => this.drop(node, err.message));
    redis.on('close', () => this.drop(node, 'closed'));
    return node;
  }
}
