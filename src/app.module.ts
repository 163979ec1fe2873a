import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { rippleConfig } from './config/ripple.config.js';
import { DemoModule } from './demo/demo.module.js';
import { HealthModule } from './ops/health/health.module.js';
import { LoggingModule } from './ops/logging/logging.module.js';
import { MetricsModule } from './ops/metrics/metrics.module.js';
import { ProducersModule } from './producers/index.js';
import { SseModule, type SseBackend } from './sse/index.js';
import { RedisBackend, RedisClusterBackend } from './sse/redis/index.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [rippleConfig] }),
    LoggingModule,
    SseModule.forRootAsync({
      isGlobal: true,
      // The page and every client use these: the stream and publish under /events, the list at
      // /topics.
      routes: { path: 'events', topicsPath: 'topics' },
      inject: [rippleConfig.KEY],
      useFactory: (config: ConfigType<typeof rippleConfig>) => ({
        backend: backendOf(config),
        historySize: config.historySize,
        memoryHistoryMaxBytes: config.memoryHistoryMaxBytes,
        idempotencyWindowMs: config.idempotencyWindowMs,
        idempotencyMaxKeys: config.idempotencyMaxKeys,
        replayPageSize: config.replayPageSize,
        frameCacheBytes: config.frameCacheBytes,
        heartbeatMs: config.heartbeatMs,
        retryMs: config.retryMs,
        maxTopicsPerConnection: config.maxTopicsPerConnection,
        maxPayloadBytes: config.maxPayloadBytes,
        maxBatchEvents: config.maxBatchEvents,
        maxBatchBytes: config.maxBatchBytes,
        maxBufferBytes: config.maxBufferBytes,
        writeTimeoutMs: config.writeTimeoutMs,
        maxConnectionAgeMs: config.maxConnectionAgeMs,
        maxConnections: config.maxConnections,
        maxConnectionsPerIp: config.maxConnectionsPerIp,
        maxPipelinedStreams: config.maxPipelinedStreams,
        drainMs: config.drainMs,
        maxTrackedTopics: config.topicsMaxTracked,
        auth: config.auth,
        corsOrigins: config.corsOrigins,
      }),
    }),
    ProducersModule.forRootAsync({
      inject: [rippleConfig.KEY],
      useFactory: (config: ConfigType<typeof rippleConfig>) => ({
        enabled: config.producers,
        instanceId: config.instanceId,
        leaseMs: config.leaderLeaseMs,
      }),
    }),
    DemoModule,
    HealthModule,
    MetricsModule,
  ],
})
export class AppModule {}

/** RIPPLE_TRANSPORT's backend: memory (the module's default) or Redis, one server or a cluster. */
function backendOf(config: ConfigType<typeof rippleConfig>): SseBackend | undefined {
  const redis = { keyPrefix: config.redisPrefix, commandTimeoutMs: config.redisCommandTimeoutMs };
  switch (config.transport) {
    case 'redis':
      return new RedisBackend({ url: config.redisUrl, ...redis });
    case 'redis-cluster':
      return new RedisClusterBackend({ nodes: config.redisUrl, ...redis });
    default:
      return undefined;
  }
}
