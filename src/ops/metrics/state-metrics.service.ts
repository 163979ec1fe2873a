import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Gauge, Registry } from 'prom-client';
import { ProducerRunner } from '../../producers/producer-runner.service.js';
import { SSE_BACKEND, type SseBackend } from '../../sse/index.js';

/**
 * What this instance depends on, read when /metrics is scraped: whether each connection of the SSE
 * backend is up (Redis; no series with the memory backend), and which producers' leader locks it holds.
 */
@Injectable()
export class StateMetrics implements OnApplicationBootstrap {
  private runner?: ProducerRunner;

  constructor(
    registry: Registry,
    @Inject(SSE_BACKEND) backend: SseBackend,
    private readonly moduleRef: ModuleRef,
  ) {
    const registers = [registry];
    const connectionStates = backend.connectionStates?.bind(backend);
    if (connectionStates) {
      const up: Gauge<'connection'> = new Gauge({
        name: 'ripple_redis_up',
        help: 'Whether each Redis connection of this instance is up (1) or not (0).',
        labelNames: ['connection'],
        registers,
        collect: () => {
          for (const [connection, isUp] of Object.entries(connectionStates())) {
            up.set({ connection }, isUp ? 1 : 0);
          }
        },
      });
    }
    const leader: Gauge<'producer'> = new Gauge({
      name: 'ripple_producer_leader',
      help:
        'Whether this instance holds the leader lock of each producer (1) or not (0); ' +
        'producers that run on every instance have none.',
      labelNames: ['producer'],
      registers,
      collect: () => {
        for (const [producer, leading] of this.runner?.leadership ?? []) {
          leader.set({ producer }, leading ? 1 : 0);
        }
      },
    });
  }

  /** The producers' module is the application's (configured there), so it is looked up, if any. */
  onApplicationBootstrap(): void {
    try {
      this.runner = this.moduleRef.get(ProducerRunner, { strict: false });
    } catch {
      // No ProducersModule: no producer, no lock.
    }
  }
}
