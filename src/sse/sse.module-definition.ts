import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SseModuleOptions } from './sse-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableSseModule,
  MODULE_OPTIONS_TOKEN: SSE_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SSE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
