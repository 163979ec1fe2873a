import type { ResolvedSseOptions } from './sse-options.interface.js';

export type { ResolvedSseOptions } from './sse-options.interface.js';

/** The options with their defaults merged in, once, for every provider to inject. */
export const SSE_OPTIONS = Symbol('RIPPLE_SSE_OPTIONS');

/** Where the module's routes are mounted (ResolvedSseRoutes), or `false` when they are not. */
export const SSE_ROUTES = Symbol('RIPPLE_SSE_ROUTES');

export const SSE_DEFAULTS: ResolvedSseOptions = {
  historySize: 1000,
  memoryHistoryMaxBytes: 64 * 1024 * 1024,
  idempotencyWindowMs: 600_000,
  idempotencyMaxKeys: 10_000,
  replayPageSize: 100,
  frameCacheBytes: 4 * 1024 * 1024,
  heartbeatMs: 15_000,
  retryMs: 2000,
  maxTopicsPerConnection: 32,
  maxPayloadBytes: 1024 * 1024,
  maxBatchEvents: 1000,
  maxBatchBytes: 4 * 1024 * 1024,
  maxBufferBytes: 1024 * 1024,
  writeTimeoutMs: 30_000,
  maxConnectionAgeMs: 0,
  maxConnections: 10_000,
  maxConnectionsPerIp: 0,
  maxPipelinedStreams: 4,
  drainMs: 3000,
  maxTrackedTopics: 1000,
  auth: {
    clockSkewSeconds: 30,
    cookieName: 'ripple_token',
    privateTopics: [],
    queryTokenMaxTtlSeconds: 300,
    requireExp: true,
  },
  corsOrigins: [],
};
