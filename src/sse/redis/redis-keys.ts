/**
 * Per-topic keys and channels. The topic in braces is the Redis Cluster hash tag, so a topic's
 * stream and its channel share one slot, and no key is shared by all topics.
 */
export interface RedisKeys {
  /** The topic's history: a Redis stream. */
  log(topic: string): string;
  /** The topic's live channel. */
  live(topic: string): string;
  /** The topic a live channel belongs to, or undefined when it is not one of ours. */
  topicOf(channel: string): string | undefined;
}

export function redisKeys(prefix: string): RedisKeys {
  const liveSuffix = '}:live';
  return {
    log: (topic) => `${prefix}{${topic}}:log`,
    live: (topic) => `${prefix}{${topic}}:live`,
    topicOf: (channel) =>
      channel.startsWith(`${prefix}{`) && channel.endsWith(liveSuffix)
        ? channel.slice(prefix.length + 1, -liveSuffix.length)
        : undefined,
  };
}
