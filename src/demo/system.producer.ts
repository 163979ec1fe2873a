import { Inject } from '@nestjs/common';
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { Observable, defer, finalize, interval, map } from 'rxjs';
import { rippleConfig, type RippleConfig } from '../config/ripple.config.js';
import { Producer, type ProducerStream } from '../producers/index.js';
import { SseHub } from '../sse/index.js';

export interface SystemEvent {
  instance: string;
  ts: number;
  /** CPU time of the process over the last interval, in % of one core (over 100 on several). */
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** The 99th percentile of event-loop delay over the last interval. */
  eventLoopDelayMs: number;
  /** Open SSE connections on this instance. */
  connections: number;
  uptimeS: number;
}

const SYSTEM_INTERVAL_MS = 1000;

/** How often the event-loop delay is sampled; finer costs more and 1 Hz figures need no more. */
const SAMPLE_RESOLUTION_MS = 10;

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * How late the loop ran, at the 99th percentile. The histogram (in nanoseconds, empty until its
 * first sample) records the time between its timer's runs, so an idle loop reads as the resolution.
 */
const lateness = (histogram: ELDHistogram): number =>
  histogram.count === 0
    ? 0
    : round(Math.max(0, histogram.percentile(99) / 1e6 - SAMPLE_RESOLUTION_MS), 2);

/**
 * This instance's real load, once a second. It runs on every instance (each describes itself),
 * and pushes rather than ticks: the event-loop histogram must run between samples, so it lives
 * exactly as long as the runner's subscription, and is disabled when that ends.
 */
@Producer({
  name: 'system',
  topic: 'system',
  intervalMs: SYSTEM_INTERVAL_MS,
  perInstance: true,
})
export class SystemProducer implements ProducerStream {
  constructor(
    private readonly hub: SseHub,
    @Inject(rippleConfig.KEY) private readonly config: Pick<RippleConfig, 'instanceId'>,
  ) {}

  produce$(): Observable<SystemEvent> {
    return defer(() => {
      const loopDelay = monitorEventLoopDelay({ resolution: SAMPLE_RESOLUTION_MS });
      loopDelay.enable();
      let lastCpu = process.cpuUsage();
      let lastAt = performance.now();
      return interval(SYSTEM_INTERVAL_MS).pipe(
        map((): SystemEvent => {
          const at = performance.now();
          const cpu = process.cpuUsage();
          const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
          const elapsedMs = at - lastAt;
          const { rss, heapUsed } = process.memoryUsage();
          const event: SystemEvent = {
            instance: this.config.instanceId,
            ts: Date.now(),
            cpuPercent: elapsedMs > 0 ? round((cpuMs / elapsedMs) * 100, 1) : 0,
            rssBytes: rss,
            heapUsedBytes: heapUsed,
            eventLoopDelayMs: lateness(loopDelay),
            connections: this.hub.connectionCount,
            uptimeS: Math.floor(process.uptime()),
          };
          lastCpu = cpu;
          lastAt = at;
          loopDelay.reset();
          return event;
        }),
        finalize(() => loopDelay.disable()),
      );
    });
  }
}
