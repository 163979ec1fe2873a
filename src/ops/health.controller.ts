import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { SseHub } from '../sse/index.js';

export interface HealthAnswer {
  status: 'ok';
  connections: number;
}

const NOT_READY = () =>
  'Not ready: the event store is unreachable (Redis down?) or the instance is shutting down';

/** Readiness and liveness, for load balancers and orchestrators. */
@Controller('health')
export class HealthController {
  constructor(private readonly hub: SseHub) {}

  /** Ready: can publish and stream now. 503 with a JSON body otherwise. */
  @Get()
  health(): HealthAnswer {
    return this.readiness();
  }

  @Get('ready')
  readiness(): HealthAnswer {
    if (!this.hub.ready) {
      throw new ServiceUnavailableException(NOT_READY());
    }
    return { status: 'ok', connections: this.hub.connectionCount };
  }

  /** Live: the process answers; restarting it would not help a Redis outage. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
