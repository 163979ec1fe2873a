export { SseModule } from './sse.module.js';
export { SseHub, type PublishOptions, type PublishedEvent } from './sse-hub.service.js';
export type { SseModuleOptions } from './sse-options.interface.js';
export type { TopicDescription, TopicSummary } from './topics/topic-stats.service.js';
export { RESET_EVENT_TYPE, type ResetReason } from './wire/message-event.js';
export { isTopicName } from './wire/topic-name.js';
