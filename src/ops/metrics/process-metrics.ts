import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * How often the event-loop delay is sampled, in ms. prom-client's 10 ms wakes an idle loop 100
 * times a second, some 7 ms of CPU a second here, which is several percent of what a fan-out
 * between bursts costs; a scrape every 15 s still gets 150 samples at 100 ms.
 */
const EVENT_LOOP_RESOLUTION_MS = 100;

let shared: Registry | undefined;

/**
 * prom-client's default metrics of this process (CPU, memory, event loop, GC, handles), collected
 * once however many applications the process boots (tests boot dozens): each
 * collectDefaultMetrics() starts an event-loop monitor and a GC observer that nothing stops. They
 * describe the process, so every application in it may show the same ones.
 */
export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({
      register: shared,
      eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS,
    });
  }
  return shared;
}
