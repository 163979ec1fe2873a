export { ProducersModule } from './producers.module.js';
export type { ProducersModuleOptions } from './producers-module-options.interface.js';
export { Producer } from './producer.decorator.js';
export type { ProducerOptions, ProducerStream, ProducerTick } from './producer.interface.js';
export { LEADER_LOCK } from './producers.constants.js';
export type { LeaderLock } from '../sse/index.js';
export { InjectLeaderLock } from './leader/inject-leader-lock.decorator.js';
export { MemoryLeaderLock } from './leader/memory-leader-lock.js';
