import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge, Histogram, Registry } from 'prom-client';
import { rippleConfig } from '../../config/ripple.config.js';
import {
  matchesAnyPattern,
  type SseMetrics,
  type StreamEndReason,
  type StreamRefusal,
} from '../../sse/index.js';
import { LATENCY_BUCKETS } from './metrics.constants.js';
import { TopicCounts, type TopicCount } from './topic-counts.js';
import { totalsCounter } from './totals-counter.js';

/**
 * The streams and events of this instance, as SseModule reports them. Reports add to plain
 * numbers (they come from the fan-out, per event and per connection); prom-client reads them when
 * /metrics is scraped. The latency histogram is the exception: prom-client cannot load a histogram
 * from totals, and it is observed once per event and topic, never per connection.
 */
@Injectable()
export class RippleMetrics implements SseMetrics {
  private open = 0;
  private opened = 0;
  private readonly closed: Record<StreamEndReason, number> = {
    client: 0,
    'slow-consumer': 0,
    'write-timeout': 0,
    'max-age': 0,
    auth: 0,
    shutdown: 0,
    'server-end': 0,
  };
  private readonly refused: Record<StreamRefusal, number> = {
    'instance-full': 0,
    'address-full': 0,
    auth: 0,
    invalid: 0,
    unavailable: 0,
  };
  private readonly topics: TopicCounts;
  private readonly latency: Histogram;

  constructor(
    registry: Registry,
    @Inject(rippleConfig.KEY) config: ConfigType<typeof rippleConfig>,
  ) {
    const { privateTopics } = config.auth;
    this.topics = new TopicCounts(config.metricsMaxTopics, (topic) =>
      matchesAnyPattern(privateTopics, topic),
    );
    const registers = [registry];
    const { instanceId } = config;
    const open: Gauge<'instance'> = new Gauge({
      name: 'ripple_connections_open',
      help: 'Event streams open on this instance (streams sent by the @RippleSse() writer).',
      labelNames: ['instance'],
      registers,
      collect: () => open.set({ instance: instanceId }, this.open),
    });
    totalsCounter(
      {
        name: 'ripple_connections_opened_total',
        help: 'Event streams opened (answered with their headers).',
        registers,
      },
      () => [[{}, this.opened]],
    );
    totalsCounter(
      {
        name: 'ripple_connections_closed_total',
        help:
          'Event streams ended, by reason: client, slow-consumer, write-timeout, max-age, auth ' +
          '(token expired), shutdown (drain), server-end.',
        labelNames: ['reason'],
        registers,
      },
      () => byLabel('reason', this.closed),
    );
    totalsCounter(
      {
        name: 'ripple_connections_refused_total',
        help:
          'Event streams refused, by reason: instance-full, address-full (connection limits), ' +
          'auth, invalid (4xx), unavailable (503).',
        labelNames: ['reason'],
        registers,
      },
      () => byLabel('reason', this.refused),
    );
    totalsCounter(
      {
        name: 'ripple_events_published_total',
        help:
          'Events published through this instance, by topic (capped, then "_other"; every ' +
          'private topic as "_private").',
        labelNames: ['topic'],
        registers,
      },
      () => this.perTopic((count) => count.published),
    );
    totalsCounter(
      {
        name: 'ripple_events_delivered_total',
        help:
          'Events written to the streams of this instance, one per stream, by topic (capped; ' +
          'private topics as "_private").',
        labelNames: ['topic'],
        registers,
      },
      () => this.perTopic((count) => count.delivered),
    );
    this.latency = new Histogram({
      name: 'ripple_publish_to_write_seconds',
      help:
        'From publish to the write of the event to the streams of its topic on this instance, ' +
        'once per event and instance.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  streamOpened(): void {
    this.open++;
    this.opened++;
  }

  streamClosed(reason: StreamEndReason): void {
    this.open--;
    this.closed[reason]++;
  }

  streamRefused(reason: StreamRefusal): void {
    this.refused[reason]++;
  }

  published(topic: string): void {
    this.topics.of(topic).published++;
  }

  delivered(topic: string, connections: number): void {
    this.topics.of(topic).delivered += connections;
  }

  fannedOut(publishedAt: number): void {
    // Another instance's clock may run ahead of this one's.
    this.latency.observe(Math.max(0, Date.now() - publishedAt) / 1000);
  }

  private *perTopic(pick: (count: TopicCount) => number): Iterable<[{ topic: string }, number]> {
    for (const [topic, count] of this.topics.entries()) {
      yield [{ topic }, pick(count)];
    }
  }
}

function* byLabel<L extends string, K extends string>(
  label: L,
  totals: Record<K, number>,
): Iterable<[Record<L, string>, number]> {
  for (const [key, total] of Object.entries<number>(totals)) {
    yield [{ [label]: key } as Record<L, string>, total];
  }
}
