import type { SseBackend } from './backend/sse-backend.interface.js';

/**
 * What is decided when SseModule is imported, beside the options rather than among them: Nest
 * mounts controllers from the module's declaration, before any `useFactory` runs. So
 * `forRoot({ routes, ...options })` and `forRootAsync({ routes, useFactory })`; a factory cannot
 * return them.
 */
export interface SseModuleExtras {
  /** Makes `SseHub` (and what `@RippleSse()` needs) visible to every module. Default true. */
  isGlobal?: boolean;
  /**
   * The module's own HTTP routes: `false` (the default) mounts none, and the application streams
   * and publishes through its own controllers and `SseHub`; `{ path: 'live' }` mounts the stream
   * (`GET /live`), publish (`POST /live/:topic`) and topics (`GET /live/topics`) routes.
   */
  routes?: false | SseRoutesOptions;
}

/** Where the module's routes are mounted (under the application's global prefix, if any). */
export interface SseRoutesOptions {
  /**
   * The stream, `GET /<path>?topic=...`, and publish, `POST /<path>/:topic`: one or more path
   * segments of letters, digits and `-._~` (`live`, `api/events`).
   */
  path: string;
  /**
   * The topics list, `GET /<topicsPath>`. Default `<path>/topics`, which does not shadow a topic
   * named `topics`: publishing is POST, the list GET. `false` mounts no list.
   */
  topicsPath?: string | false;
}

/** The routes as mounted: paths without leading or trailing slashes. */
export interface ResolvedSseRoutes {
  path: string;
  topicsPath: string | false;
}

/** What an application may set when it imports SseModule; every field has a default. */
export interface SseModuleOptions {
  /**
   * Where events are stored and fanned out: this process's memory (the default, `MemoryBackend`)
   * or `new RedisBackend({ url })` / `new RedisClusterBackend({ nodes })` from
   * `nestjs-ripple/redis`, for several instances. One backend object per application.
   */
  backend?: SseBackend;
  /** Events kept per topic for resume. Default 1000. */
  historySize?: number;
  /**
   * The memory transport's history across all topics, in bytes (data, type and a fixed overhead
   * per event); past it the oldest events of any topic go first. Default 64 MiB.
   */
  memoryHistoryMaxBytes?: number;
  /** How long a publish's Idempotency-Key is remembered, in ms. Default 600000 (10 minutes). */
  idempotencyWindowMs?: number;
  /**
   * Idempotency-Keys the memory transport remembers at most; the oldest go first. (Redis keeps
   * each for the window.) Default 10000.
   */
  idempotencyMaxKeys?: number;
  /**
   * Events a resume reads from history and writes at once; the next page waits until the
   * client's backlog is back under `maxBufferBytes`. Default 100.
   */
  replayPageSize?: number;
  /**
   * Bytes of encoded one-topic frames kept for recent events, shared by the live fan-out and
   * every replay, so that clients resuming the same history are sent the same bytes rather than
   * each an encoding of its own. The oldest go first; 0 keeps none. Default 4 MiB.
   */
  frameCacheBytes?: number;
  /** A comment goes out on a connection idle this long, in ms. Default 15000. */
  heartbeatMs?: number;
  /** The reconnection delay sent to clients in the `retry:` line, in ms. Default 2000. */
  retryMs?: number;
  /** Topics one connection may ask for. Default 32. */
  maxTopicsPerConnection?: number;
  /** Largest payload accepted, as UTF-8 JSON bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Events one batch publish (`POST /<path>`) may hold; past it, 413. Default 1000. */
  maxBatchEvents?: number;
  /**
   * Largest body of a batch publish, in bytes; past it, 413. Each event's payload is also held to
   * `maxPayloadBytes`. Default 4 MiB.
   */
  maxBatchBytes?: number;
  /**
   * Bytes that may wait for one client (in Ripple, the response and the socket); past it the
   * client is dropped and resumes from its cursor. Default 1 MiB.
   */
  maxBufferBytes?: number;
  /** A connection whose socket has not drained for this long is closed, in ms. Default 30000. */
  writeTimeoutMs?: number;
  /** Streams are ended (and clients reconnect) after this long, in ms; 0 for never. Default 0. */
  maxConnectionAgeMs?: number;
  /** Open streams per instance; past it, 503 with Retry-After. 0 for no limit. Default 10000. */
  maxConnections?: number;
  /** Open streams per client address; past it, 429. 0 for no limit. Default 0. */
  maxConnectionsPerIp?: number;
  /**
   * Stream requests that may wait on one connection, pipelined behind a response still going
   * (each takes a place only once its turn comes); past it the connection is closed. Default 4.
   */
  maxPipelinedStreams?: number;
  /**
   * At shutdown, open streams are ended spread over this window, in ms, so that their clients do
   * not all reconnect to the next instance in one instant. Default 3000.
   */
  drainMs?: number;
  /**
   * Topics the topics list tracks; past it, the least recently active one nobody reads is
   * forgotten, and when all are in use new ones go uncounted. Default 1000.
   */
  maxTrackedTopics?: number;
  /** Who may publish and subscribe. Default: no key, so only loopback clients publish. */
  auth?: SseAuthOptions;
  /**
   * Browser origins (`https://app.example`) allowed to use the stream and publish routes, with
   * credentials; `*` lets any other origin in, without credentials. Default none.
   */
  corsOrigins?: string[];
}

/**
 * Tokens are JWTs with a `{"ripple": {"publish": [...], "subscribe": [...]}}` claim of topic
 * patterns (`*` for any run of topic characters). Set at most one key.
 */
export interface SseAuthOptions {
  /** HS256 shared secret, at least 32 characters. */
  secret?: string;
  /** PEM public key (SPKI): RSA verifies RS256, EC P-256 verifies ES256. */
  publicKey?: string;
  /** URL of a JSON Web Key Set of RS256 / ES256 keys, fetched and cached as needed. */
  jwksUrl?: string;
  /** When set, a token's `aud` must name it. */
  audience?: string;
  /** When set, a token's `iss` must be it. */
  issuer?: string;
  /** Clock difference tolerated on `exp` and `nbf`, in seconds. Default 30. */
  clockSkewSeconds?: number;
  /** The cookie a browser sends its token in. Default `ripple_token`. */
  cookieName?: string;
  /** Patterns of the topics whose streams need a subscribe grant. Default none. */
  privateTopics?: string[];
  /** A token sent as `?access_token=` must expire within this many seconds. Default 300. */
  queryTokenMaxTtlSeconds?: number;
  /**
   * Refuse tokens without an `exp` claim: a leaked token that never expires is valid for good.
   * Default true.
   */
  requireExp?: boolean;
}

export type ResolvedSseAuthOptions = SseAuthOptions &
  Required<
    Pick<
      SseAuthOptions,
      'clockSkewSeconds' | 'cookieName' | 'privateTopics' | 'queryTokenMaxTtlSeconds' | 'requireExp'
    >
  >;

/** The options with their defaults; the backend is a provider of its own (SSE_BACKEND). */
export type ResolvedSseOptions = Required<Omit<SseModuleOptions, 'auth' | 'backend'>> & {
  auth: ResolvedSseAuthOptions;
};
