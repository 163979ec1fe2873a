import { Controller, Get, ServiceUnavailableException, UseFilters } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { SseHub } from '../../sse/index.js';
import { HealthCheckFilter } from './health-check.filter.js';
import { NOT_READY } from './health.messages.js';
import { HubHealthIndicator } from './hub.health.js';
import { BackendHealthIndicator } from './backend.health.js';

export interface HealthAnswer {
  status: 'ok';
  connections: number;
}

/** Liveness and readiness for orchestrators and balancers, on Terminus. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly hubHealth: HubHealthIndicator,
    private readonly backendHealth: BackendHealthIndicator,
    private readonly hub: SseHub,
  ) {}

  /** The process answers. Nothing else: restarting it would not help a Redis outage. */
  @Get('live')
  @HealthCheck()
  @UseFilters(HealthCheckFilter)
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Publishing and new streams work now: not draining, and the backend (Redis) answers. */
  @Get('ready')
  @HealthCheck()
  @UseFilters(HealthCheckFilter)
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.readinessChecks());
  }

  /**
   * Readiness in the first shape Ripple gave it, which existing probes and scripts read:
   * `{"status": "ok", "connections": n}`, or a 503 whose message names what is down.
   */
  @Get()
  @HealthCheck()
  async summary(): Promise<HealthAnswer> {
    try {
      await this.health.check(this.readinessChecks());
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        throw new ServiceUnavailableException(NOT_READY(whatIsDown(err)));
      }
      throw err;
    }
    return { status: 'ok', connections: this.hub.connectionCount };
  }

  private readinessChecks(): HealthIndicatorFunction[] {
    const checks: HealthIndicatorFunction[] = [() => this.hubHealth.isHealthy('hub')];
    const backend = this.backendHealth.key;
    if (backend) {
      checks.push(() => this.backendHealth.isHealthy(backend));
    }
    return checks;
  }
}

/** `name: why` for each indicator a failed check names (else its status: `shutting_down`). */
function whatIsDown(err: ServiceUnavailableException): string[] {
  const result = err.getResponse() as Partial<HealthCheckResult>;
  const down = Object.entries(result.error ?? {}).map(
    ([name, detail]) => `${name}: ${String(detail?.message ?? 'down')}`,
  );
  return down.length > 0 ? down : [String(result.status ?? 'down')];
}
