import type { Provider } from '@nestjs/common';
import { HISTORY } from './history/history.interface.js';
import { MemoryHistory } from './history/memory-history.js';
import { SSE_MODULE_OPTIONS } from './sse.module-definition.js';
import { SSE_DEFAULTS, SSE_OPTIONS } from './sse.constants.js';
import type { ResolvedSseOptions, SseModuleOptions } from './sse-options.interface.js';
import { MemoryTransport } from './transport/memory-transport.js';
import { TRANSPORT } from './transport/transport.interface.js';

/** Merges the defaults once, so no service has to. */
export const optionsProvider: Provider = {
  provide: SSE_OPTIONS,
  inject: [SSE_MODULE_OPTIONS],
  useFactory: (options: SseModuleOptions): ResolvedSseOptions => {
    const defined = Object.fromEntries(
      Object.entries(options ?? {}).filter(([, value]) => value !== undefined),
    );
    const resolved = { ...SSE_DEFAULTS, ...defined } as ResolvedSseOptions;
    if (resolved.transport !== 'memory') {
      throw new Error(
        `Ripple transport "${resolved.transport}" is not available in this version; use "memory"`,
      );
    }
    return resolved;
  },
};

/** The seams, picked by the `transport` option. */
export const seamProviders: Provider[] = [
  MemoryHistory,
  MemoryTransport,
  { provide: HISTORY, useExisting: MemoryHistory },
  { provide: TRANSPORT, useExisting: MemoryTransport },
];
