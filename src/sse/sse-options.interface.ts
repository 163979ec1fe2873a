/** What an application may set when it imports SseModule; every field has a default. */
export interface SseModuleOptions {
  /** `memory` (one process, the default) or `redis` (several instances). */
  transport?: 'memory' | 'redis';
  /** Redis for the `redis` transport. Default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  redisKeyPrefix?: string;
  /** Events kept per topic for resume. Default 1000. */
  historySize?: number;
  /** A comment goes out on a connection idle this long, in ms. Default 15000. */
  heartbeatMs?: number;
  /** The reconnection delay sent to clients in the `retry:` line, in ms. Default 2000. */
  retryMs?: number;
  /** Topics one connection may ask for. Default 32. */
  maxTopicsPerConnection?: number;
  /** Largest payload accepted, as UTF-8 JSON bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
}

export type ResolvedSseOptions = Required<SseModuleOptions>;
