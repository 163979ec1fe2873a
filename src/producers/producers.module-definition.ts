import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ProducersModuleOptions } from './producers-module-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableProducersModule,
  MODULE_OPTIONS_TOKEN: PRODUCERS_MODULE_OPTIONS,
  OPTIONS_TYPE: PRODUCERS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: PRODUCERS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ProducersModuleOptions>().setClassMethodName('forRoot').build();
