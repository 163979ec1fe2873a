import type { History } from '../history/history.interface.js';
import type { Transport } from '../transport/transport.interface.js';
import type { LeaderLock } from './leader-lock.interface.js';

/** Injects the module's SseBackend (the `backend` option, or the memory backend). */
export const SSE_BACKEND = Symbol('RIPPLE_SSE_BACKEND');

/** What the module's options tell a backend when it builds its seams. */
export interface BackendSettings {
  /** Events kept per topic for resume. */
  historySize: number;
  /** The memory history's bound across all topics, in bytes. */
  memoryHistoryMaxBytes: number;
  /** How long a publish's Idempotency-Key is remembered, in ms. */
  idempotencyWindowMs: number;
  /** Idempotency-Keys a backend that keeps them in memory remembers at most. */
  idempotencyMaxKeys: number;
}

/** The two seams the core runs on; storing an event and making it live is the transport's. */
export interface BackendSeams {
  transport: Transport;
  history: History;
}

/** What the producers' leader lock is built with. */
export interface LeaderLockSettings {
  /** How long a lease lasts before another instance may take it, in ms. */
  leaseMs: number;
  /** Names this instance in the lock's records and logs. */
  instanceId: string;
}

/**
 * Where events are stored and fanned out: this process's memory (the default) or a shared store
 * such as Redis (`nestjs-ripple/redis`). The module takes it as an option, the way
 * @nestjs/throttler takes its storage, so the core never imports a backend; health, metrics and
 * the producers' leader lock ask it through this interface.
 *
 * A backend object is a provider of the module: Nest runs its lifecycle hooks (`onModuleInit`,
 * `onApplicationShutdown`), so it opens its connections at start and closes them at shutdown.
 */
export interface SseBackend {
  /** Names the backend in health answers and logs (`memory`, `redis`, `redis-cluster`). */
  readonly name: string;
  /**
   * How long one of its operations may take, in ms: a stream that has not opened (subscribed and
   * read its history) by then is refused with 503, so a hung store keeps no request waiting.
   * Absent: 3000.
   */
  readonly operationTimeoutMs?: number;
  /** Builds the transport and the history, once, when the module starts. */
  createSeams(settings: BackendSettings): BackendSeams;
  /**
   * Resolves, with details for `/health/ready`, when the backend can serve now; rejects with why
   * it cannot. Absent where there is nothing outside the process to check.
   */
  check?(): Promise<Record<string, unknown>>;
  /** Whether each of the backend's connections is up now, by name, for metrics. */
  connectionStates?(): Readonly<Record<string, boolean>>;
  /**
   * A lease lock shared by every instance on this backend, for the producers' leaders. Absent on
   * a backend of one process, where that process leads everything.
   */
  createLeaderLock?(settings: LeaderLockSettings): LeaderLock;
}
