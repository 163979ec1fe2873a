import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { SseHub, type LeaderLock } from '../sse/index.js';
import { LEADER_LOCK } from './producers.constants.js';
import { Producer } from './producer.decorator.js';
import type { ProducerStream, ProducerTick } from './producer.interface.js';
import { ProducersModule } from './producers.module.js';

interface Published {
  topic: string;
  data: unknown;
  type?: string;
}

/** The slice of SseHub the runner uses, recording what it is given. */
class FakeHub {
  readonly published: Published[] = [];
  readonly described = new Map<string, { producer: string; intervalMs?: number }>();
  readonly connectionCount = 0;
  readonly publish = jest.fn(
    (
      topic: string,
      data: unknown,
      options?: { type?: string },
    ): Promise<{ topic: string; id: string }> => {
      this.published.push({ topic, data, type: options?.type });
      return Promise.resolve({ topic, id: String(this.published.length) });
    },
  );

  describeTopic(topic: string, description: { producer: string; intervalMs?: number }): void {
    this.described.set(topic, description);
  }

  dataOf(topic: string): unknown[] {
    return this.published.filter((event) => event.topic === topic).map((event) => event.data);
  }
}

@Module({})
class FakeHubModule {}

const globalHub = (hub: FakeHub): DynamicModule => ({
  module: FakeHubModule,
  global: true,
  providers: [{ provide: SseHub, useValue: hub }],
  exports: [SseHub],
});

@Producer({ name: 'counter', topic: 'count', intervalMs: 1000 })
class CounterProducer implements ProducerTick {
  calls = 0;
  readonly produce = jest.fn((): unknown => ++this.calls);
}

@Producer({ name: 'other', intervalMs: 1000, type: 'other.tick' })
class OtherProducer implements ProducerTick {
  produce(): unknown {
    return 'other';
  }
}

@Producer({ name: 'local', intervalMs: 1000, perInstance: true })
class PerInstanceProducer implements ProducerTick {
  produce(): unknown {
    return 'here';
  }
}

@Producer({ name: 'stream', topic: 'pushed', intervalMs: 500 })
class StreamProducer implements ProducerStream {
  current = new Subject<unknown>();
  readonly produce$ = jest.fn((): Observable<unknown> => {
    this.current = new Subject<unknown>();
    return this.current;
  });
}

@Producer({ name: 'counter', intervalMs: 1000 })
class DuplicateProducer implements ProducerTick {
  produce(): unknown {
    return 0;
  }
}

@Producer({ name: 'nointerval' })
class NoIntervalProducer implements ProducerTick {
  produce(): unknown {
    return 0;
  }
}

/** A lock whose answer the test sets, counting the campaigns that are open. */
class ScriptedLock implements LeaderLock {
  readonly leading$ = new BehaviorSubject(false);
  readonly names: string[] = [];
  open = 0;

  lead(name: string): Observable<boolean> {
    return new Observable<boolean>((subscriber) => {
      this.names.push(name);
      this.open++;
      const subscription = this.leading$.subscribe(subscriber);
      return () => {
        this.open--;
        subscription.unsubscribe();
      };
    });
  }
}

interface Booted {
  hub: FakeHub;
  app: TestingModule;
  get: <T>(type: Type<T>) => T;
}

describe('ProducerRunner', () => {
  let app: TestingModule | undefined;
  let errors: jest.SpiedFunction<Logger['error']>;
  let warnings: jest.SpiedFunction<Logger['warn']>;

  const boot = async (
    enabled: string[],
    producers: Type[] = [CounterProducer],
    lock?: LeaderLock,
  ): Promise<Booted> => {
    const hub = new FakeHub();
    let builder = Test.createTestingModule({
      imports: [globalHub(hub), ProducersModule.forRoot({ enabled, instanceId: 'test-1' })],
      providers: producers,
    });
    if (lock) {
      builder = builder.overrideProvider(LEADER_LOCK).useValue(lock);
    }
    const compiled = await builder.compile();
    await compiled.init();
    app = compiled;
    return { hub, app: compiled, get: (type) => compiled.get(type) };
  };

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('publishes what produce() returns, once every intervalMs', async () => {
    const { hub } = await boot(['counter']);

    await jest.advanceTimersByTimeAsync(999);
    expect(hub.published).toEqual([]);

    await jest.advanceTimersByTimeAsync(1);
    expect(hub.published).toEqual([{ topic: 'count', data: 1, type: undefined }]);

    await jest.advanceTimersByTimeAsync(2000);
    expect(hub.dataOf('count')).toEqual([1, 2, 3]);
  });

  it('publishes with the event type and the default topic (the name) a producer gives', async () => {
    const { hub } = await boot(['other'], [OtherProducer]);

    await jest.advanceTimersByTimeAsync(1000);

    expect(hub.published).toEqual([{ topic: 'other', data: 'other', type: 'other.tick' }]);
  });

  it('describes the topic of each started producer, and of no other', async () => {
    const { hub } = await boot(['counter'], [CounterProducer, OtherProducer]);

    expect([...hub.described]).toEqual([['count', { producer: 'counter', intervalMs: 1000 }]]);
  });

  it('runs only the enabled producers', async () => {
    const { hub } = await boot(['other'], [CounterProducer, OtherProducer]);

    await jest.advanceTimersByTimeAsync(3000);

    expect(new Set(hub.published.map((event) => event.topic))).toEqual(new Set(['other']));
  });

  it('fails the boot on an unknown name, listing the known ones', async () => {
    await expect(boot(['counter', 'nope'])).rejects.toThrow(
      'Unknown producer "nope" in RIPPLE_PRODUCERS. Known producers: counter.',
    );
  });

  it('fails the boot when two producers share a name', async () => {
    await expect(boot([], [CounterProducer, DuplicateProducer])).rejects.toThrow(
      'Producer name "counter" is used by both CounterProducer and DuplicateProducer',
    );
  });

  it('fails the boot on a produce() producer without an interval', async () => {
    await expect(boot([], [NoIntervalProducer])).rejects.toThrow(
      'Producer "nointerval" (NoIntervalProducer) must implement produce$(), or produce() with a positive intervalMs',
    );
  });

  it('logs a tick that throws, once, with the producer name, and runs the next tick', async () => {
    const { hub, get } = await boot(['counter']);
    get(CounterProducer).produce.mockImplementationOnce(() => {
      throw new Error('boom');
    });

    await jest.advanceTimersByTimeAsync(1000);
    expect(hub.published).toEqual([]);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toMatch(/^Producer "counter": tick failed .*: boom$/);

    await jest.advanceTimersByTimeAsync(1000);
    expect(hub.dataOf('count')).toEqual([1]);
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it('logs a tick that rejects and runs the next tick', async () => {
    const { hub, get } = await boot(['counter']);
    get(CounterProducer).produce.mockImplementationOnce(() => Promise.reject(new Error('later')));

    await jest.advanceTimersByTimeAsync(2000);

    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toContain('later');
    expect(hub.dataOf('count')).toEqual([1]);
  });

  it('logs a publish that rejects and runs the next tick', async () => {
    const { hub } = await boot(['counter']);
    hub.publish.mockImplementationOnce(() => Promise.reject(new Error('hub down')));

    await jest.advanceTimersByTimeAsync(2000);

    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toContain('hub down');
    expect(hub.dataOf('count')).toEqual([2]);
  });

  it('publishes nothing for a tick that returns undefined', async () => {
    const { hub, get } = await boot(['counter']);
    get(CounterProducer).produce.mockImplementation(() => undefined);

    await jest.advanceTimersByTimeAsync(3000);

    expect(hub.publish).not.toHaveBeenCalled();
    expect(errors).not.toHaveBeenCalled();
  });

  it('skips the ticks that come due while one is still running', async () => {
    const { hub, get } = await boot(['counter']);
    let running = 0;
    let mostAtOnce = 0;
    get(CounterProducer).produce.mockImplementation(async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      running--;
      return 'slow';
    });

    // Tick at 1000 runs until 3500; those due at 2000 and 3000 are skipped; 4000 runs.
    await jest.advanceTimersByTimeAsync(3999);
    expect(get(CounterProducer).produce).toHaveBeenCalledTimes(1);
    expect(hub.dataOf('count')).toEqual(['slow']);

    await jest.advanceTimersByTimeAsync(1);
    expect(get(CounterProducer).produce).toHaveBeenCalledTimes(2);
    expect(mostAtOnce).toBe(1);
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('took 2500 ms'));
  });

  it('clears every timer at shutdown, and ticks no more', async () => {
    const { hub } = await boot(['counter', 'other'], [CounterProducer, OtherProducer]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(jest.getTimerCount()).toBeGreaterThan(0);
    const before = hub.published.length;

    await app?.close();
    app = undefined;

    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(5000);
    expect(hub.published).toHaveLength(before);
  });

  it('drops a tick in flight at shutdown instead of publishing it', async () => {
    const { hub, get } = await boot(['counter']);
    get(CounterProducer).produce.mockImplementation(
      () => new Promise((resolve) => setTimeout(() => resolve('late'), 500)),
    );
    await jest.advanceTimersByTimeAsync(1200);

    await app?.close();
    app = undefined;
    await jest.advanceTimersByTimeAsync(1000);

    expect(hub.publish).not.toHaveBeenCalled();
  });

  describe('with a leader lock', () => {
    it('runs a producer only while this instance leads it', async () => {
      const lock = new ScriptedLock();
      const { hub, get } = await boot(['counter'], [CounterProducer], lock);

      await jest.advanceTimersByTimeAsync(3000);
      expect(lock.names).toEqual(['producer:counter']);
      expect(get(CounterProducer).produce).not.toHaveBeenCalled();
      expect(hub.published).toEqual([]);

      lock.leading$.next(true);
      await jest.advanceTimersByTimeAsync(2000);
      expect(hub.dataOf('count')).toEqual([1, 2]);

      lock.leading$.next(false);
      await jest.advanceTimersByTimeAsync(3000);
      expect(hub.dataOf('count')).toEqual([1, 2]);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('describes the topic on an instance that does not lead', async () => {
      const { hub } = await boot(['counter'], [CounterProducer], new ScriptedLock());

      expect(hub.described.get('count')).toEqual({ producer: 'counter', intervalMs: 1000 });
    });

    it('runs a perInstance producer without asking the lock', async () => {
      const lock = new ScriptedLock();
      const { hub } = await boot(['local'], [PerInstanceProducer], lock);

      await jest.advanceTimersByTimeAsync(1000);

      expect(lock.names).toEqual([]);
      expect(hub.dataOf('local')).toEqual(['here']);
    });

    it('gives the lock up at shutdown', async () => {
      const lock = new ScriptedLock();
      lock.leading$.next(true);
      await boot(['counter', 'other'], [CounterProducer, OtherProducer], lock);
      expect(lock.open).toBe(2);

      await app?.close();
      app = undefined;

      expect(lock.open).toBe(0);
    });

    it('uses the memory lock by default, so a lone instance leads', async () => {
      const { hub } = await boot(['counter']);

      await jest.advanceTimersByTimeAsync(1000);

      expect(hub.dataOf('count')).toEqual([1]);
    });
  });

  describe('with a produce$() producer', () => {
    it('publishes each value, skipping undefined', async () => {
      const { hub, get } = await boot(['stream'], [StreamProducer]);
      const producer = get(StreamProducer);

      producer.current.next('a');
      producer.current.next(undefined);
      producer.current.next('b');
      await jest.advanceTimersByTimeAsync(0);

      expect(hub.dataOf('pushed')).toEqual(['a', 'b']);
      expect(hub.described.get('pushed')).toEqual({ producer: 'stream', intervalMs: 500 });
    });

    it('logs a failed stream and subscribes again a second later', async () => {
      const { hub, get } = await boot(['stream'], [StreamProducer]);
      const producer = get(StreamProducer);

      producer.current.error(new Error('feed lost'));
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors.mock.calls[0][0]).toContain('feed lost');
      await jest.advanceTimersByTimeAsync(1000);
      producer.current.next('again');
      await jest.advanceTimersByTimeAsync(0);

      expect(producer.produce$).toHaveBeenCalledTimes(2);
      expect(hub.dataOf('pushed')).toEqual(['again']);
    });

    it('unsubscribes at shutdown', async () => {
      const { get } = await boot(['stream'], [StreamProducer]);
      const producer = get(StreamProducer);
      expect(producer.current.observed).toBe(true);

      await app?.close();
      app = undefined;

      expect(producer.current.observed).toBe(false);
    });
  });
});

describe('ProducersModule.forRootAsync', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('takes its options from a factory', async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const hub = new FakeHub();
    const app = await Test.createTestingModule({
      imports: [
        globalHub(hub),
        ProducersModule.forRootAsync({
          useFactory: () => ({ enabled: ['counter'], instanceId: 'test-1' }),
        }),
      ],
      providers: [CounterProducer],
    }).compile();

    await app.init();
    await app.close();

    expect([...hub.described.keys()]).toEqual(['count']);
  });
});
