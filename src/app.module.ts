import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { rippleConfig } from './config/ripple.config.js';
import { HealthController } from './ops/health.controller.js';
import { SseModule } from './sse/index.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [rippleConfig] }),
    SseModule.forRootAsync({
      isGlobal: true,
      inject: [rippleConfig.KEY],
      useFactory: (config: ConfigType<typeof rippleConfig>) => ({
        transport: config.transport,
        historySize: config.historySize,
        heartbeatMs: config.heartbeatMs,
        retryMs: config.retryMs,
        maxTopicsPerConnection: config.maxTopicsPerConnection,
        maxPayloadBytes: config.maxPayloadBytes,
      }),
    }),
  ],
  controllers: [HealthController],
})
export class AppModule {}
