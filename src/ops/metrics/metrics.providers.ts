import type { Provider } from '@nestjs/common';
import { Registry } from 'prom-client';
import { processMetrics } from './process-metrics.js';

/**
 * The application's own registry, never prom-client's global one, so that applications booted in
 * one process (as the tests do) do not collide; it holds the process's default metrics too.
 */
export const registryProvider: Provider<Registry> = {
  provide: Registry,
  useFactory: (): Registry => Registry.merge([processMetrics()]),
};
