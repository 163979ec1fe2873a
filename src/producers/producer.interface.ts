import type { Observable } from 'rxjs';

/** What `@Producer()` says about a class. */
export interface ProducerOptions {
  /** Unique among producers; the name RIPPLE_PRODUCERS lists to run it. */
  name: string;
  /** The topic it publishes to; its name when absent. */
  topic?: string;
  /**
   * The period of `produce()`, in milliseconds. A `produce$()` producer may give it too, and then
   * it is only shown by `GET /topics`.
   */
  intervalMs?: number;
  /** The SSE event type of what it publishes; the topic name when absent. */
  type?: string;
  /**
   * Run on every instance, not only on the holder of the producer's leader lock: for figures about
   * the instance itself, such as the built-in `system` producer.
   */
  perInstance?: boolean;
}

/**
 * A producer called every `intervalMs`. What it returns (or resolves to) is published to its
 * topic; `undefined` publishes nothing this tick. A tick that throws is logged and skipped, and a
 * tick still running when the next one is due makes the runner skip that one.
 */
export interface ProducerTick {
  produce(): unknown;
}

/**
 * A producer that pushes: each value of the Observable is published to its topic. The runner
 * subscribes while the producer runs and unsubscribes when it stops, so resources set up inside
 * the Observable (timers, sockets) live exactly as long as the producer runs.
 */
export interface ProducerStream {
  produce$(): Observable<unknown>;
}
