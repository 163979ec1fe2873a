import { Command } from 'ioredis';

/**
 * Per-topic keys and channels. The topic in braces is the Redis Cluster hash tag, so a topic's
 * stream and its channel share one slot (and one shard), and no key is shared by all topics.
 */
export interface RedisKeys {
  /** The topic's history: a Redis stream. */
  log(topic: string): string;
  /** The topic's live channel. */
  live(topic: string): string;
  /**
   * What one publish call stored, under the call's own id: a call that Redis ran but whose answer
   * was lost, and that the client sends again, finds it and is not stored twice.
   */
  published(topic: string, publishId: string): string;
  /**
   * The record of a publish under its caller's Idempotency-Key (by its digest, so that any key
   * makes a short key), in the topic's slot like the rest: the publish script stores a call once
   * per record, whoever sends it again.
   */
  idempotent(topic: string, keyDigest: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    log: (topic) => `${prefix}{${topic}}:log`,
    live: (topic) => `${prefix}{${topic}}:live`,
    published: (topic, publishId) => `${prefix}{${topic}}:pub:${publishId}`,
    idempotent: (topic, keyDigest) => `${prefix}{${topic}}:idem:${keyDigest}`,
  };
}

/**
 * The cluster hash slot of a key or shard channel (CRC16 of its hash tag, modulo 16384), as
 * ioredis computes it to route a command.
 */
export function hashSlot(key: string): number {
  return new Command('exists', [key]).getSlot();
}
