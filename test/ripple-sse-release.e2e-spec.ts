import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Controller,
  Injectable,
  Module,
  Query,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import { configureApp } from '../src/app.setup.js';
import { RippleSse, SseHub, SseModule } from '../src/sse/index.js';
import { SseReader } from './utils/sse-reader.js';
import { testConfig } from './utils/test-app.js';
import { until } from './utils/until.js';

/** A full garbage collection, from a test: V8's `gc`, exposed for this process. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What of the last request's pipeline should be let go once its stream is open. */
const witnesses: { context?: WeakRef<ExecutionContext>; stream?: WeakRef<Observable<unknown>> } =
  {};

/** Global, so outside the writer: it sees the request's ExecutionContext, which it does not keep. */
@Injectable()
class Witness implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    witnesses.context = new WeakRef(context);
    return next.handle();
  }
}

@Controller('release')
class ReleaseController {
  constructor(private readonly hub: SseHub) {}

  /** As the module's own `GET /events`: no interceptor between handler and writer. */
  @RippleSse()
  stream(@Query('topic') topic: string): Observable<MessageEvent> {
    const stream = this.hub.stream([topic]);
    witnesses.stream = new WeakRef(stream);
    return stream;
  }
}

@Module({
  imports: [SseModule.forRoot({ drainMs: 0, heartbeatMs: 100, routes: { path: 'events' } })],
  controllers: [ReleaseController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: Witness }],
})
class ReleaseModule {}

/**
 * Issue 15: once a stream has passed its guards and interceptors and sent its headers, nothing of
 * the request pipeline stays reachable (the stream holds its socket and its own state), yet the
 * stream goes on: events, heartbeats.
 */
describe('an open stream lets its request pipeline go (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;
  let hub: SseHub;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ReleaseModule] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({
      forceCloseConnections: true,
      logger: ['error', 'warn'],
    });
    configureApp(app, testConfig());
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    hub = app.get(SseHub);
  });
  afterAll(async () => {
    await app.close();
  });

  it("collects the request's ExecutionContext and the handler's Observable while the stream goes on", async () => {
    const reader = await SseReader.open(`${url}/release?topic=released`);
    try {
      await reader.framesOf('retry', 1);
      await hub.publish('released', 'before');
      await reader.framesOf('released', 1);
      expect(witnesses.context).toBeDefined();
      expect(witnesses.stream).toBeDefined();

      await until(
        () => {
          gc();
          return (
            witnesses.context?.deref() === undefined && witnesses.stream?.deref() === undefined
          );
        },
        'the request pipeline of the open stream to be collected',
        10_000,
      );

      // Still open, written by the hub: live events and heartbeats.
      await hub.publish('released', 'after');
      const frames = await reader.framesOf('released', 2);
      expect(frames.map((frame) => JSON.parse(frame.data) as string)).toEqual(['before', 'after']);
      const heartbeats = reader.comments;
      await reader.waitFor((r) => r.comments > heartbeats, 2000, 'a heartbeat');
      expect(reader.ended).toBe(false);
    } finally {
      reader.close();
    }
  });

  it("collects the request's ExecutionContext of the module's GET /events, which writes its stream itself", async () => {
    witnesses.context = undefined;
    const reader = await SseReader.open(`${url}/events?topic=built-in`);
    try {
      await reader.framesOf('retry', 1);
      expect(witnesses.context).toBeDefined();
      await until(
        () => {
          gc();
          return witnesses.context?.deref() === undefined;
        },
        'the request pipeline of the open stream to be collected',
        10_000,
      );
      await hub.publish('built-in', 'after');
      const frames = await reader.framesOf('built-in', 1);
      expect(frames.map((frame) => JSON.parse(frame.data) as string)).toEqual(['after']);
      expect(reader.ended).toBe(false);
    } finally {
      reader.close();
    }
  });
});
