import { Controller, Get, HttpCode, HttpStatus } from '@nestjs/common';

export interface HealthAnswer {
  status: 'ok';
}

/** Readiness and liveness. With the memory transport, a process that answers is ready. */
@Controller('health')
export class HealthController {
  @Get()
  @HttpCode(HttpStatus.OK)
  ready(): HealthAnswer {
    return { status: 'ok' };
  }

  @Get('live')
  live(): HealthAnswer {
    return { status: 'ok' };
  }

  @Get('ready')
  readiness(): HealthAnswer {
    return { status: 'ok' };
  }
}
