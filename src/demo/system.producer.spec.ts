import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import type { SseHub } from '../sse/index.js';
import { SystemProducer, type SystemEvent } from './system.producer.js';

// Captured before the fake timers: the event-loop monitor needs real turns of the loop to sample.
const realDelay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const burnCpu = (ms: number): void => {
  const start = process.cpuUsage();
  while (process.cpuUsage(start).user < ms * 1000) {
    // Spin: the point is to use the CPU.
  }
};

const blockLoop = (ms: number): void => {
  const until = performance.timeOrigin + performance.now() + ms;
  while (performance.timeOrigin + performance.now() < until) {
    // Spin: the point is to hold the event loop.
  }
};

describe('SystemProducer', () => {
  const hub = { connectionCount: 7 } as unknown as SseHub;
  let events: SystemEvent[];
  let subscription: Subscription | undefined;

  const start = (): SystemProducer => {
    const producer = new SystemProducer(hub, { instanceId: 'test-1' });
    subscription = producer.produce$().subscribe((event) => events.push(event));
    return producer;
  };

  beforeEach(() => {
    events = [];
  });

  afterEach(() => {
    subscription?.unsubscribe();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it("publishes this instance's figures once a second", () => {
    jest.useFakeTimers({ now: 1_900_000_000_000, doNotFake: ['performance'] });
    start();

    jest.advanceTimersByTime(999);
    expect(events).toEqual([]);
    jest.advanceTimersByTime(1);

    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toEqual({
      instance: 'test-1',
      ts: 1_900_000_001_000,
      cpuPercent: expect.any(Number),
      rssBytes: expect.any(Number),
      heapUsedBytes: expect.any(Number),
      eventLoopDelayMs: expect.any(Number),
      connections: 7,
      uptimeS: expect.any(Number),
    });
    expect(event.rssBytes).toBeGreaterThan(event.heapUsedBytes);
    expect(event.heapUsedBytes).toBeGreaterThan(1024 * 1024);
    expect(Number.isInteger(event.uptimeS)).toBe(true);
    expect(event.uptimeS).toBeGreaterThanOrEqual(0);
    expect(event.uptimeS).toBeLessThanOrEqual(process.uptime());
  });

  it('measures the CPU the process used over the interval, in % of one core', () => {
    jest.useFakeTimers();
    const before = process.cpuUsage();
    start();

    // Fake time makes the interval exactly 1000 ms; the CPU spent is real.
    burnCpu(200);
    jest.advanceTimersByTime(1000);
    const spent = process.cpuUsage(before);
    jest.advanceTimersByTime(1000);

    const [busy, idle] = events;
    const mostPercent = ((spent.user + spent.system) / 1000 / 1000) * 100;
    expect(busy.cpuPercent).toBeGreaterThanOrEqual(19);
    expect(busy.cpuPercent).toBeLessThanOrEqual(mostPercent + 0.1);
    expect(idle.cpuPercent).toBeLessThan(10);
  });

  it('measures how late the event loop ran over the interval, from zero again each tick', async () => {
    jest.useFakeTimers({ doNotFake: ['setTimeout', 'performance'] });
    start();
    await realDelay(30);

    blockLoop(80);
    await realDelay(30);
    jest.advanceTimersByTime(1000);
    await realDelay(100);
    jest.advanceTimersByTime(1000);

    const [blocked, calm] = events;
    expect(blocked.eventLoopDelayMs).toBeGreaterThanOrEqual(60);
    expect(calm.eventLoopDelayMs).toBeLessThan(60);
  });

  it('stops its timer and its event-loop monitor when unsubscribed', () => {
    const disable = jest.spyOn(Object.getPrototypeOf(monitorEventLoopDelay()), 'disable');
    jest.useFakeTimers();
    start();
    expect(jest.getTimerCount()).toBe(1);

    subscription?.unsubscribe();

    expect(jest.getTimerCount()).toBe(0);
    expect(disable).toHaveBeenCalledTimes(1);
  });
});
