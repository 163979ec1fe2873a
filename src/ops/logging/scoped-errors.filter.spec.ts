import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Module,
  NotFoundException,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { inRequestScope } from '../../sse/index.js';
import { requestIdFields } from './request-context.js';
import { frontDoor } from '../../http/front-door.js';
import { ScopedErrorsFilter } from './scoped-errors.filter.js';

/** A logger that keeps each error line with the request id pino's mixin would add to it. */
class IdRecorder implements LoggerService {
  readonly errors: { message: string; reqId?: string }[] = [];
  log(): void {}
  warn(): void {}
  error(message: unknown): void {
    this.errors.push({ message: String(message), ...requestIdFields() });
  }
}

@Controller()
class FailingController {
  @Get('broken')
  async broken(): Promise<string> {
    // Past an await: the middleware's scope is long gone, as in any real handler.
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new Error('the handler broke');
  }

  @Get('missing')
  async missing(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new NotFoundException('no such thing');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('ScopedErrorsFilter', () => {
  let app: INestApplication;
  let url: string;
  const logger = new IdRecorder();

  beforeAll(async () => {
    app = await NestFactory.create(FailingModule, { logger, bodyParser: false });
    // The request id, and the middleware's scope, as the service's front door and logging give them.
    app.use(frontDoor([]));
    app.use((request: object, _response: unknown, next: () => void) =>
      inRequestScope(request, next),
    );
    app.useGlobalFilters(new ScopedErrorsFilter(app.getHttpAdapter()));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(() => app.close());

  it('logs an unexpected error with the id of the request it failed, after the handler awaited', async () => {
    const response = await fetch(`${url}/broken`, { headers: { 'x-request-id': 'broken-1' } });
    expect(response.status).toBe(500);
    expect(logger.errors).toContainEqual({
      message: 'Error: the handler broke',
      reqId: 'broken-1',
    });
  });

  it('answers an HTTP error with the JSON body of the module', async () => {
    const response = await fetch(`${url}/missing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no such thing',
    });
  });

  it('names no request outside one', () => {
    expect(requestIdFields()).toEqual({});
  });
});
