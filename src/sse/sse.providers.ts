import type { Provider } from '@nestjs/common';
import { MemoryBackend } from './backend/memory-backend.js';
import {
  SSE_BACKEND,
  type BackendSeams,
  type SseBackend,
} from './backend/sse-backend.interface.js';
import { HISTORY } from './history/history.interface.js';
import { SSE_MODULE_OPTIONS } from './sse.module-definition.js';
import { SSE_DEFAULTS, SSE_OPTIONS } from './sse.constants.js';
import type { ResolvedSseOptions, SseModuleOptions } from './sse-options.interface.js';
import { validateSseOptions } from './sse-options.validation.js';
import { TRANSPORT } from './transport/transport.interface.js';

/** The transport and history the backend built, once. */
const SEAMS = Symbol('RIPPLE_SEAMS');

/**
 * Merges the defaults once, so no service has to, and refuses bad options before anything uses
 * them (the module does not start).
 */
export const optionsProvider: Provider = {
  provide: SSE_OPTIONS,
  inject: [SSE_MODULE_OPTIONS],
  useFactory: (options: SseModuleOptions): ResolvedSseOptions => {
    const defined = <T extends object>(value: T | undefined): Partial<T> =>
      Object.fromEntries(
        Object.entries(value ?? {}).filter(([, field]) => field !== undefined),
      ) as Partial<T>;
    const { backend, ...rest } = options ?? {};
    return validateSseOptions(
      {
        ...SSE_DEFAULTS,
        ...defined(rest),
        auth: { ...SSE_DEFAULTS.auth, ...defined(options?.auth) },
      } as ResolvedSseOptions,
      backend,
    );
  },
};

/**
 * The backend (the `backend` option, else memory) and the two seams it builds. Factories, so that
 * the memory default opens no connection; Nest still runs the lifecycle hooks of what they return
 * (a Redis backend opens its connections at start and closes them at shutdown).
 */
export const seamProviders: Provider[] = [
  {
    provide: SSE_BACKEND,
    // After SSE_OPTIONS, which refuses a backend option that is none.
    inject: [SSE_MODULE_OPTIONS, SSE_OPTIONS],
    useFactory: (options: SseModuleOptions): SseBackend => options?.backend ?? new MemoryBackend(),
  },
  {
    provide: SEAMS,
    inject: [SSE_OPTIONS, SSE_BACKEND],
    useFactory: (options: ResolvedSseOptions, backend: SseBackend): BackendSeams =>
      backend.createSeams({
        historySize: options.historySize,
        memoryHistoryMaxBytes: options.memoryHistoryMaxBytes,
        idempotencyWindowMs: options.idempotencyWindowMs,
        idempotencyMaxKeys: options.idempotencyMaxKeys,
      }),
  },
  { provide: HISTORY, inject: [SEAMS], useFactory: (seams: BackendSeams) => seams.history },
  { provide: TRANSPORT, inject: [SEAMS], useFactory: (seams: BackendSeams) => seams.transport },
];
