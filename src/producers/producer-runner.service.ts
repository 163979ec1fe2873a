import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  EMPTY,
  Observable,
  Subscription,
  catchError,
  concatMap,
  defer,
  distinctUntilChanged,
  exhaustMap,
  interval,
  retry,
  switchMap,
  tap,
  timer,
} from 'rxjs';
import { SseHub, type LeaderLock } from '../sse/index.js';
import { InjectLeaderLock } from './leader/inject-leader-lock.decorator.js';
import { ProducerMetadata } from './producer.decorator.js';
import type { ProducerOptions, ProducerStream, ProducerTick } from './producer.interface.js';
import type { ProducersModuleOptions } from './producers-module-options.interface.js';
import { PRODUCER_LOCK_PREFIX, PRODUCER_RESTART_DELAY_MS } from './producers.constants.js';
import {
  DUPLICATE_PRODUCER,
  LEADER_LOCK_FAILED,
  PRODUCER_NOT_SINGLETON,
  PRODUCER_WITHOUT_SOURCE,
  PUBLISH_FAILED,
  SLOW_TICK,
  STREAM_FAILED,
  TICK_FAILED,
  UNKNOWN_PRODUCERS,
} from './producers.messages.js';
import { PRODUCERS_MODULE_OPTIONS } from './producers.module-definition.js';

/** setTimeout's largest delay; past it Node fires at once. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** A discovered producer, its options resolved. */
interface FoundProducer {
  name: string;
  className: string;
  topic: string;
  type?: string;
  intervalMs?: number;
  perInstance: boolean;
}

interface RunnableProducer extends FoundProducer {
  /** Publishes the producer's values for as long as it is subscribed. */
  run$: Observable<unknown>;
}

const isStream = (value: unknown): value is ProducerStream =>
  typeof (value as Partial<ProducerStream> | null)?.produce$ === 'function';

const isTick = (value: unknown): value is ProducerTick =>
  typeof (value as Partial<ProducerTick> | null)?.produce === 'function';

const isPeriod = (ms: number | undefined): ms is number =>
  typeof ms === 'number' && Number.isInteger(ms) && ms >= 1 && ms <= MAX_INTERVAL_MS;

const stackOf = (error: unknown): string | undefined =>
  error instanceof Error ? error.stack : undefined;

/**
 * Finds every `@Producer()` provider, and runs those the options enable from bootstrap to
 * shutdown: each on the instance that holds its leader lock, or on every instance if it says so.
 * A failing producer is logged and carries on; it never ends a stream or the process.
 */
@Injectable()
export class ProducerRunner implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProducerRunner.name);
  /** Every timer and lock subscription of every producer, released together at shutdown. */
  private readonly running = new Subscription();
  private enabled: RunnableProducer[] = [];
  /** Whether this instance leads each producer that runs on one instance at a time. */
  private readonly leading = new Map<string, boolean>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly hub: SseHub,
    @InjectLeaderLock() private readonly leaderLock: LeaderLock,
    @Inject(PRODUCERS_MODULE_OPTIONS) private readonly options: ProducersModuleOptions,
  ) {}

  /** Checks the producers and the enabled list in the init phase, so a typo stops the boot early. */
  onModuleInit(): void {
    const found = this.discover();
    const wanted = new Set(this.options.enabled);
    const unknown = [...wanted].filter((name) => !found.has(name));
    if (unknown.length > 0) {
      throw new Error(UNKNOWN_PRODUCERS(unknown, [...found.keys()].sort()));
    }
    this.enabled = [...found.values()].filter((producer) => wanted.has(producer.name));
  }

  onApplicationBootstrap(): void {
    if (this.enabled.length === 0) {
      this.logger.log('No producers enabled');
    }
    for (const producer of this.enabled) {
      this.start(producer);
    }
  }

  onModuleDestroy(): void {
    // Clears every tick timer, cancels ticks in flight and gives leader locks up at once.
    this.running.unsubscribe();
    for (const name of this.leading.keys()) {
      this.leading.set(name, false);
    }
  }

  /** Each started producer that needs its leader lock, and whether this instance holds it now. */
  get leadership(): ReadonlyMap<string, boolean> {
    return this.leading;
  }

  private discover(): Map<string, RunnableProducer> {
    const found = new Map<string, RunnableProducer>();
    for (const wrapper of this.discovery.getProviders({ metadataKey: ProducerMetadata.KEY })) {
      const options = this.discovery.getMetadataByDecorator(ProducerMetadata, wrapper);
      if (!options) {
        continue;
      }
      const className = String(wrapper.name);
      if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
        throw new Error(PRODUCER_NOT_SINGLETON(options.name, className));
      }
      const producer = this.toRunnable(options, wrapper.instance, className);
      const existing = found.get(producer.name);
      if (existing) {
        throw new Error(DUPLICATE_PRODUCER(producer.name, existing.className, className));
      }
      found.set(producer.name, producer);
    }
    return found;
  }

  private toRunnable(
    options: ProducerOptions,
    instance: unknown,
    className: string,
  ): RunnableProducer {
    const producer: FoundProducer = {
      name: options.name,
      className,
      topic: options.topic ?? options.name,
      type: options.type,
      intervalMs: options.intervalMs,
      perInstance: options.perInstance ?? false,
    };
    if (isStream(instance)) {
      return { ...producer, run$: this.stream$(producer, instance) };
    }
    if (isTick(instance) && isPeriod(options.intervalMs)) {
      return { ...producer, run$: this.ticks$(producer, instance, options.intervalMs) };
    }
    throw new Error(PRODUCER_WITHOUT_SOURCE(options.name, className));
  }

  private start(producer: RunnableProducer): void {
    const { name, topic, intervalMs, perInstance } = producer;
    this.hub.describeTopic(topic, { producer: name, intervalMs });
    const run$ = perInstance ? producer.run$ : this.whileLeading$(producer);
    this.running.add(run$.subscribe());
    this.logger.log(
      `Producer "${name}" publishes to "${topic}"` +
        (intervalMs === undefined ? '' : ` every ${intervalMs} ms`) +
        (perInstance ? ' on every instance' : ' while this instance holds its leader lock'),
    );
  }

  private whileLeading$(producer: RunnableProducer): Observable<unknown> {
    const { name } = producer;
    this.leading.set(name, false);
    return this.leaderLock.lead(PRODUCER_LOCK_PREFIX + name).pipe(
      distinctUntilChanged(),
      tap((leading) => {
        this.leading.set(name, leading);
        this.logger.log(
          leading
            ? `Producer "${name}": this instance leads; running`
            : `Producer "${name}": another instance leads; waiting`,
        );
      }),
      // Losing the lead unsubscribes the producer: its timer stops, a tick in flight is dropped.
      switchMap((leading) => (leading ? producer.run$ : EMPTY)),
      retry({
        delay: (error: unknown) => {
          this.leading.set(name, false);
          this.logger.error(
            LEADER_LOCK_FAILED(name, PRODUCER_RESTART_DELAY_MS, error),
            stackOf(error),
          );
          return timer(PRODUCER_RESTART_DELAY_MS);
        },
      }),
    );
  }

  private ticks$(
    producer: FoundProducer,
    source: ProducerTick,
    intervalMs: number,
  ): Observable<unknown> {
    // exhaustMap ignores the ticks that come due while one runs: slow ticks skip, never pile up.
    return interval(intervalMs).pipe(exhaustMap(() => this.tick$(producer, source, intervalMs)));
  }

  private tick$(
    producer: FoundProducer,
    source: ProducerTick,
    intervalMs: number,
  ): Observable<unknown> {
    return defer(() => {
      const startedAt = Date.now();
      // An async wrapper turns a synchronous throw into a rejection, handled below like any other.
      return defer(async () => source.produce()).pipe(
        concatMap((data) => (data === undefined ? EMPTY : this.publish$(producer, data))),
        catchError((error: unknown) => {
          this.logger.error(TICK_FAILED(producer.name, error), stackOf(error));
          return EMPTY;
        }),
        tap({
          complete: () => {
            const tookMs = Date.now() - startedAt;
            if (tookMs > intervalMs) {
              this.logger.warn(SLOW_TICK(producer.name, tookMs, intervalMs));
            }
          },
        }),
      );
    });
  }

  private stream$(producer: FoundProducer, source: ProducerStream): Observable<unknown> {
    return defer(() => source.produce$()).pipe(
      // One at a time and in order: unlike ticks, a stream's values may build on each other.
      concatMap((data) =>
        data === undefined
          ? EMPTY
          : this.publish$(producer, data).pipe(
              catchError((error: unknown) => {
                this.logger.error(PUBLISH_FAILED(producer.name, error), stackOf(error));
                return EMPTY;
              }),
            ),
      ),
      retry({
        delay: (error: unknown) => {
          this.logger.error(
            STREAM_FAILED(producer.name, PRODUCER_RESTART_DELAY_MS, error),
            stackOf(error),
          );
          return timer(PRODUCER_RESTART_DELAY_MS);
        },
      }),
      tap({ complete: () => this.logger.log(`Producer "${producer.name}" completed`) }),
    );
  }

  private publish$(producer: FoundProducer, data: unknown): Observable<unknown> {
    return defer(() => this.hub.publish(producer.topic, data, { type: producer.type }));
  }
}
