import { ConfigurableModuleBuilder } from '@nestjs/common';
import { mountRoutes } from './routes/mount-routes.js';
import type { SseModuleExtras, SseModuleOptions } from './sse-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableSseModule,
  MODULE_OPTIONS_TOKEN: SSE_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SSE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseModuleOptions>()
  .setClassMethodName('forRoot')
  // No routes unless asked for: a module must not open publish and stream routes to the network
  // on its own (docs/security.md).
  .setExtras<SseModuleExtras>({ isGlobal: true, routes: false }, (definition, extras) =>
    mountRoutes({ ...definition, global: extras.isGlobal }, extras.routes),
  )
  .build();
