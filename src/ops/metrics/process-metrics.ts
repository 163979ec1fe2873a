import { collectDefaultMetrics, Registry } from 'prom-client';

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
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
