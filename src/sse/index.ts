export { SseModule } from './sse.module.js';
export { SseHub, type PublishOptions, type PublishedEvent } from './sse-hub.service.js';
export { SSE_DEFAULTS } from './sse.constants.js';
export type {
  ResolvedSseAuthOptions,
  ResolvedSseOptions,
  SseAuthOptions,
  SseModuleExtras,
  SseModuleOptions,
  SseRoutesOptions,
} from './sse-options.interface.js';
export { SseExceptionFilter, type JsonError } from './routes/sse-exception.filter.js';
export { TOKEN_EXPIRED_EVENT_TYPE } from './auth/token-expiry.interceptor.js';
export { matchesAnyPattern } from './auth/topic-pattern.js';
export type { TopicDescription, TopicList, TopicSummary } from './topics/topic-stats.service.js';
export { RESET_EVENT_TYPE, type ResetReason } from './wire/message-event.js';
export { isJsonMediaType } from './validation/json-media-type.js';
export { isTopicName } from './wire/topic-name.js';
export { RippleSse } from './writer/ripple-sse.decorator.js';
