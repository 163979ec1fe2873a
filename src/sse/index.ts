export { SseModule } from './sse.module.js';
export { SseHub, type PublishOptions, type PublishedEvent } from './sse-hub.service.js';
export type { BatchEvent } from './validation/request-checks.js';
export { SSE_DEFAULTS } from './sse.constants.js';
export { MemoryBackend } from './backend/memory-backend.js';
export {
  SSE_BACKEND,
  type BackendSeams,
  type BackendSettings,
  type LeaderLockSettings,
  type SseBackend,
} from './backend/sse-backend.interface.js';
export type { LeaderLock } from './backend/leader-lock.interface.js';
export type { History, HistoryRead } from './history/history.interface.js';
export type { OncePublished, Transport, TransportSignal } from './transport/transport.interface.js';
export { SUBSCRIBED, UNSUBSCRIBED } from './transport/transport.interface.js';
export type { OutgoingEvent, TopicEvent } from './topic-event.interface.js';
export type {
  ResolvedSseAuthOptions,
  ResolvedSseOptions,
  SseAuthOptions,
  SseModuleExtras,
  SseModuleOptions,
  SseRoutesOptions,
} from './sse-options.interface.js';
export { SseExceptionFilter, type JsonError } from './routes/sse-exception.filter.js';
// For a logger that names the request a line is about (a pino mixin): see request-scope.ts.
export { inRequestScope, requestInScope } from './http/request-scope.js';
export { TOKEN_EXPIRED_EVENT_TYPE } from './auth/token-expiry.js';
export { isTopicPattern, matchesAnyPattern } from './auth/topic-pattern.js';
export { isPublicKeyPem } from './auth/public-key.js';
export type { TopicDescription, TopicList, TopicSummary } from './topics/topic-stats.service.js';
export { RESET_EVENT_TYPE, type ResetReason } from './wire/message-event.js';
export { isJsonMediaType } from './validation/json-media-type.js';
export { isTopicName } from './wire/topic-name.js';
export { RippleFastPathSafe } from './stream/fast-path-safe.decorator.js';
export { RippleSse } from './writer/ripple-sse.decorator.js';
export {
  SSE_METRICS,
  type ConnectionRefusal,
  type SseMetrics,
  type StreamEndReason,
  type StreamRefusal,
} from './metrics/sse-metrics.interface.js';
