import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { SseHub } from '../../sse/index.js';
import { SHUTTING_DOWN } from './health.messages.js';

/**
 * The hub takes streams and publishes: down from the moment shutdown begins, before the first
 * stream is ended, so that a balancer sends new clients elsewhere while this one drains.
 */
@Injectable()
export class HubHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly hub: SseHub,
  ) {}

  isHealthy<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const indicator = this.indicators.check(key);
    return this.hub.draining
      ? indicator.down(SHUTTING_DOWN())
      : indicator.up({ connections: this.hub.connectionCount });
  }
}
