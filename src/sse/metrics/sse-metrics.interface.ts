/** A connection limit that refused a stream: the instance's, or the client address's. */
export type ConnectionRefusal = 'instance-full' | 'address-full';

/** Why a stream sent by Ripple's writer ended. */
export type StreamEndReason =
  /** The client went away. */
  | 'client'
  /** Dropped: more than the buffer bound waited for it. */
  | 'slow-consumer'
  /** Dropped: its socket did not drain within the write timeout. */
  | 'write-timeout'
  /** Ended at the maximum connection age, so that load spreads again. */
  | 'max-age'
  /** Ended because the token that opened it expired. */
  | 'auth'
  /** Ended by the drain at shutdown. */
  | 'shutdown'
  /** The stream ended or failed otherwise. */
  | 'server-end';

/**
 * Why a stream was not opened: a connection limit, no valid token or grant for a private topic,
 * a request the stream refused (a 4xx: topics, cursor), or a hub that could not stream (a 503:
 * shutting down, Redis away).
 */
export type StreamRefusal = ConnectionRefusal | 'auth' | 'invalid' | 'unavailable';

/**
 * What the hub and Ripple's writer report, for an application's metrics. The calls come from the
 * fan-out itself, so each must cost next to nothing: an implementation adds to plain fields and
 * leaves the rest to scrape time. Without an implementation (no `SSE_METRICS` provider) nothing
 * is recorded.
 */
export interface SseMetrics {
  streamOpened(): void;
  streamClosed(reason: StreamEndReason): void;
  streamRefused(reason: StreamRefusal): void;
  /** An event was stored and made live. */
  published(topic: string): void;
  /** An event of `topic` was written to `connections` streams. */
  delivered(topic: string, connections: number): void;
  /**
   * A live event reached this instance's streams of its topic, once per event and topic (not per
   * stream): `publishedAt` (epoch ms) gives the publish-to-write latency.
   */
  fannedOut(publishedAt: number): void;
}

/**
 * Token of an application's `SseMetrics`. SseModule looks it up where it is visible (a global
 * module that exports it) and records nothing when there is none.
 */
export const SSE_METRICS = Symbol('RIPPLE_SSE_METRICS');
