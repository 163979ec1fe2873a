// The Redis backend's public API (`nestjs-ripple/redis`): the only module that imports ioredis.
export {
  RedisBackend,
  RedisClusterBackend,
  REDIS_DEFAULTS,
  type RedisBackendOptions,
  type RedisClusterBackendOptions,
  type RedisCommonOptions,
} from './redis-sse-backend.js';
