import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { SSE_BACKEND, type SseBackend } from '../../sse/index.js';

/**
 * The SSE backend answers (Redis: its connections are up and a PING comes back in time), asked
 * through the backend's own check; a backend of one process has nothing to check.
 */
@Injectable()
export class BackendHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(SSE_BACKEND) private readonly backend: SseBackend,
  ) {}

  /** The indicator's name in the answer (`redis`, `redis-cluster`), or null with nothing to check. */
  get key(): string | null {
    return this.backend.check ? this.backend.name : null;
  }

  async isHealthy<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const backend = this.backend;
    return this.indicators.check(key).attempt(async () => (await backend.check?.()) ?? {});
  }
}
