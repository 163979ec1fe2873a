import { Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { parseEnvelope } from './envelope.js';
import type { ChannelSignal } from './pubsub.interface.js';
import type { RedisConnectionSet, RedisClient } from './redis-connection-set.js';
import type { RedisKeys } from './redis-keys.js';
import { publishIds } from './publish-ids.js';
import {
  parsePublishReply,
  publishBatchArgs,
  publishBatchScript,
  publishScript,
  type PublishCommand,
  type PublishReply,
} from './redis-scripts.js';
import { withDeadline } from './deadline.js';
import { scriptCall } from './script-call.js';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';
import { eventFingerprint, keyDigest } from '../transport/idempotency.js';
import { TopicFeeds, type Feed } from '../transport/topic-feeds.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type OncePublished,
  type Transport,
  type TransportSignal,
} from '../transport/transport.interface.js';

/**
 * How long Redis remembers a publish call, so that the same call sent again is stored once. It
 * must outlast ioredis's retries of a command whose answer was lost: on one Redis, one resend once
 * reconnected (the command connection gives up after one retry); on a cluster, up to 16
 * redirections, each after a 100 ms delay and a refresh of the slot map (1 s at most), so under
 * 20 s. A minute is a wide margin, at about 180 bytes in Redis per script call of the last minute
 * (the publishes of a topic's batch share one record).
 */
const KEEP_PUBLISHED_MS = 60_000;

/** The most events one script call stores; a longer run of a topic's publishes takes several. */
const MAX_BATCH = 256;

/**
 * The most data, in characters (up to 3 bytes each in UTF-8), one script call takes beyond its
 * first event: its events reach every instance as one channel message, which Redis holds whole in
 * each subscriber's output buffer, and which each instance reads into one string. 256 Ki
 * characters keep that under 1 MB, far below Redis's default limit for a subscriber's buffer
 * (8 MB for a minute disconnects it), and a batch's memory bounded whatever its events' size.
 */
const MAX_BATCH_CHARS = 256 * 1024;

interface PendingPublish {
  event: OutgoingEvent;
  publishedAt: number;
  /**
   * The key of this call's record: its caller's Idempotency-Key's; for a call without one, its
   * publish id's, made only when it goes alone (a batch has one record, see send).
   */
  record?: string;
  /** How long Redis keeps the record, in ms. */
  keepMs: number;
  /** The call's fingerprint under an Idempotency-Key; '' otherwise. */
  fingerprint: string;
  resolve: (reply: PublishReply) => void;
  reject: (err: unknown) => void;
}

export interface RedisTransportOptions {
  /** How long a publish waits for Redis before it fails, in ms. */
  commandTimeoutMs: number;
  /** How long Redis keeps a publish's Idempotency-Key, in ms. */
  idempotencyWindowMs: number;
}

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
  /** The batch script (see redis-scripts.ts), for a topic's events of a turn past the first. */
  private readonly publishBatch: ReturnType<typeof scriptCall>;
  private readonly nextPublishId = publishIds();
  /** Publishes of this turn, by topic: each topic's go to Redis in one script call. */
  private pending = new Map<string, PendingPublish[]>();
  private malformedLogged = false;

  constructor(
    private readonly backend: RedisConnectionSet,
    private readonly keys: RedisKeys,
    private readonly historySize: number,
    private readonly options: RedisTransportOptions = {
      commandTimeoutMs: 3000,
      idempotencyWindowMs: 600_000,
    },
  ) {
    backend.command.defineCommand('ripplePublish', {
      numberOfKeys: 3,
      lua: publishScript(backend.pubsub.publishCommand),
    });
    this.publishBatch = scriptCall(
      backend.command,
      publishBatchScript(backend.pubsub.publishCommand),
    );
    this.redis = backend.command as RedisClient & PublishCommand;
  }

  get available(): boolean {
    return this.backend.ready;
  }

  /**
   * Publishes made in one turn of the event loop go to Redis together, one script call per topic:
   * a call's cost in ioredis and in Redis, not its events, was most of what a publish cost.
   */
  publish(topic: string, event: OutgoingEvent): Promise<TopicEvent> {
    const publishedAt = Date.now();
    return this.enqueue(topic, event, publishedAt, undefined, KEEP_PUBLISHED_MS, '').then(
      ({ id }) => ({ topic, id, type: event.type, data: event.data, publishedAt }),
    );
  }

  /**
   * The record is named by the key rather than by the call, and kept for the idempotency window:
   * the HTTP publisher's retry finds it as ioredis's own resend does.
   */
  publishOnce(topic: string, event: OutgoingEvent, key: string): Promise<OncePublished> {
    const fingerprint = eventFingerprint(event);
    const record = this.keys.idempotent(topic, keyDigest(key));
    return this.enqueue(
      topic,
      event,
      Date.now(),
      record,
      // Never shorter than ioredis's own resends need.
      Math.max(this.options.idempotencyWindowMs, KEEP_PUBLISHED_MS),
      fingerprint,
    ).then(({ id, storedFingerprint }) => ({
      topic,
      id,
      replayed: storedFingerprint !== undefined,
      conflict: storedFingerprint !== undefined && storedFingerprint !== fingerprint,
    }));
  }

  /** Queues a call for this turn's script call of its topic. */
  private enqueue(
    topic: string,
    event: OutgoingEvent,
    publishedAt: number,
    record: string | undefined,
    keepMs: number,
    fingerprint: string,
  ): Promise<PublishReply> {
    return new Promise<PublishReply>((resolve, reject) => {
      let queue = this.pending.get(topic);
      if (!queue) {
        queue = [];
        this.pending.set(topic, queue);
        if (this.pending.size === 1) {
          process.nextTick(() => this.flush());
        }
      }
      queue.push({ event, publishedAt, record, keepMs, fingerprint, resolve, reject });
    });
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    for (const [topic, queue] of pending) {
      for (const batch of batches(queue)) {
        this.send(topic, batch);
      }
    }
  }

  private send(topic: string, batch: PendingPublish[]): void {
    const log = this.keys.log(topic);
    const live = this.keys.live(topic);
    let replies: Promise<string[]>;
    if (batch.length === 1) {
      const { event, publishedAt, record, keepMs, fingerprint } = batch[0];
      replies = this.redis
        .ripplePublish(
          log,
          live,
          // One id per call, however often ioredis sends it: the script stores it once.
          record ?? this.keys.published(topic, this.nextPublishId()),
          this.historySize,
          event.data,
          event.type ?? '',
          publishedAt,
          keepMs,
          fingerprint,
        )
        .then((reply) => [reply]);
    } else {
      // One id per script call, however often ioredis sends it: the script stores its events once.
      const keys: string[] = [log, live, this.keys.published(topic, this.nextPublishId())];
      for (const { record } of batch) {
        if (record !== undefined) {
          keys.push(record);
        }
      }
      const args = publishBatchArgs(this.historySize, KEEP_PUBLISHED_MS, batch);
      replies = this.publishBatch<string>(keys, args).then((answer) => answer.split('\n'));
    }
    // One deadline for the batch, as it has one answer. Its calls fail once it passes, although
    // Redis may still store them later: what an Idempotency-Key is for.
    withDeadline(replies, this.options.commandTimeoutMs, `a publish to ${topic}`).then(
      (stored) => batch.forEach(({ resolve }, i) => resolve(parsePublishReply(stored[i]))),
      (err: unknown) => batch.forEach(({ reject }) => reject(err)),
    );
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
    const events = parseEnvelope(topic, message);
    if (!events) {
      // Another version or a stranger on our channel: never thrown in the listener.
      if (!this.malformedLogged) {
        this.malformedLogged = true;
        this.logger.warn(`Dropped a malformed message on ${this.keys.live(topic)} (logged once)`);
      }
      return;
    }
    for (const event of events) {
      this.feeds.deliver(event);
    }
  }
}

/** A topic's publishes of a turn cut into script calls, in order, within both bounds. */
export function batches<T extends { event: OutgoingEvent }>(queue: T[]): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let chars = 0;
  for (const call of queue) {
    const size = call.event.data.length;
    if (batch.length === MAX_BATCH || (batch.length > 0 && chars + size > MAX_BATCH_CHARS)) {
      out.push(batch);
      batch = [];
      chars = 0;
    }
    batch.push(call);
    chars += size;
  }
  if (batch.length > 0) {
    out.push(batch);
  }
  return out;
}
