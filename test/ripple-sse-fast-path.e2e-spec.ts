import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  Global,
  Injectable,
  Module,
  Query,
  StreamableFile,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type MessageEvent,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { map, tap, type Observable } from 'rxjs';
import { configureApp } from '../src/app.setup.js';
import { RippleFastPathSafe, RippleSse, SseHub, SseModule } from '../src/sse/index.js';
import { SSE_METRICS, type SseMetrics } from '../src/sse/metrics/sse-metrics.interface.js';
import { SseReader } from './utils/sse-reader.js';
import { testConfig } from './utils/test-app.js';

/** Every value that passed an interceptor, by the request's path. */
class Sightings {
  private readonly byPath = new Map<string, unknown[]>();

  record(context: ExecutionContext, value: unknown): void {
    const path = new URL(context.switchToHttp().getRequest<IncomingMessage>().url!, 'http://x')
      .pathname;
    this.byPath.set(path, [...(this.byPath.get(path) ?? []), value]);
  }

  on(path: string): unknown[] {
    return this.byPath.get(path) ?? [];
  }

  /** The events of `topic` seen on `path`. */
  eventsOn(path: string, topic: string): MessageEvent[] {
    return this.on(path).filter((v): v is MessageEvent => (v as MessageEvent).type === topic);
  }
}

/** An interceptor of the user's: it records what it sees. */
class Recording implements NestInterceptor {
  readonly seen = new Sightings();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap((value) => this.seen.record(context, value)));
  }
}

/** Records, and upper-cases each event's data: it must see every event, or some go out unchanged. */
class Shouting extends Recording {
  override intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return super.intercept(context, next).pipe(
      map((value) =>
        typeof (value as MessageEvent).data === 'string'
          ? {
              ...(value as MessageEvent),
              data: ((value as MessageEvent).data as string).toUpperCase(),
            }
          : value,
      ),
    );
  }
}

/** The user's own interceptor that says it needs no live event (it logs openings, say). */
@RippleFastPathSafe()
class MarkedRecording extends Recording {}

const shoutingOnRoute = new Shouting();
const markedOnRoute = new MarkedRecording();
const belowRippleSse = new Recording();
const onController = new Recording();
const globalByProvider = new Recording();
const globalByApp = new Recording();

@Controller('own')
class OwnInterceptorsController {
  constructor(private readonly hub: SseHub) {}

  @UseInterceptors(shoutingOnRoute)
  @RippleSse('shout')
  shout(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }

  @UseInterceptors(markedOnRoute)
  @RippleSse('marked')
  marked(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }

  /** As the module's own `GET /events`: no interceptor between handler and writer. */
  @RippleSse('ripple-only')
  rippleOnly(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }

  @RippleSse('outside')
  @UseInterceptors(belowRippleSse)
  outside(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }
}

@Controller('wrapped')
@UseInterceptors(onController)
class WrappedController {
  constructor(private readonly hub: SseHub) {}

  @RippleSse('as-is')
  asIs(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }
}

/**
 * The connection counts of `delivered`, per topic: the fan-out reports a live event once for all
 * the streams it wrote directly (the fast path), a stream's writer once per event it wrote.
 */
@Injectable()
class Deliveries implements SseMetrics {
  private readonly byTopic = new Map<string, number[]>();
  streamOpened(): void {}
  streamClosed(): void {}
  streamRefused(): void {}
  published(): void {}
  fannedOut(): void {}

  delivered(topic: string, connections: number): void {
    this.byTopic.set(topic, [...(this.byTopic.get(topic) ?? []), connections]);
  }

  of(topic: string): number[] {
    return this.byTopic.get(topic) ?? [];
  }
}

@Global()
@Module({ providers: [{ provide: SSE_METRICS, useClass: Deliveries }], exports: [SSE_METRICS] })
class DeliveriesModule {}

@Module({
  imports: [SseModule.forRoot({ drainMs: 0, routes: { path: 'events' } }), DeliveriesModule],
  controllers: [OwnInterceptorsController, WrappedController],
  providers: [{ provide: APP_INTERCEPTOR, useValue: globalByProvider }],
})
class FastPathModule {}

describe('@RippleSse() and interceptors: the fast path (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;
  let hub: SseHub;
  let deliveries: Deliveries;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [FastPathModule] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({
      forceCloseConnections: true,
      logger: ['error', 'warn'],
    });
    configureApp(app, testConfig());
    app.useGlobalInterceptors(globalByApp);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    hub = app.get(SseHub);
    deliveries = app.get<Deliveries>(SSE_METRICS);
  });
  afterAll(async () => {
    await app.close();
  });

  const texts = ['one', 'two', 'three', 'four', 'five'];
  /**
   * Two clients on each topic: the fan-out's reports then tell the fast path from the other. On
   * the fast path each stream's writer writes the first live event; the fan-out writes the rest
   * to both streams at once.
   */
  const fastPath = [1, 1, ...texts.slice(1).map(() => 2)];
  const throughTheObservable = [...texts, ...texts].map(() => 1);

  /**
   * Opens `path` for `topic` twice, publishes `texts` once both have joined, and returns the data
   * each client received.
   */
  async function received(path: string, topic: string): Promise<string[][]> {
    const readers = await Promise.all(
      [1, 2].map(() => SseReader.open(`${url}${path}?topic=${topic}`)),
    );
    try {
      // The opening frame: joined, so what follows is live.
      await Promise.all(readers.map((reader) => reader.framesOf('retry', 1)));
      for (const text of texts) {
        await hub.publish(topic, text);
      }
      return await Promise.all(
        readers.map(async (reader) =>
          (await reader.framesOf(topic, texts.length)).map((f) => JSON.parse(f.data) as string),
        ),
      );
    } finally {
      readers.forEach((reader) => reader.close());
    }
  }

  it("gives a route's own interceptor every live event of a one-topic stream", async () => {
    const shouted = texts.map((text) => text.toUpperCase());
    expect(await received('/own/shout', 'shout')).toEqual([shouted, shouted]);
    expect(shoutingOnRoute.seen.eventsOn('/own/shout', 'shout')).toHaveLength(2 * texts.length);
    // Each client's writer wrote each event: no fan-out wrote past the interceptor.
    expect(deliveries.of('shout')).toEqual(throughTheObservable);
  });

  it("keeps the fast path with only Ripple's interceptors on the route", async () => {
    expect(await received('/own/ripple-only', 'ripple-only')).toEqual([texts, texts]);
    expect(deliveries.of('ripple-only')).toEqual(fastPath);
  });

  it('keeps the fast path past an interceptor marked @RippleFastPathSafe(), which sees not each live event', async () => {
    expect(await received('/own/marked', 'marked')).toEqual([texts, texts]);
    expect(deliveries.of('marked')).toEqual(fastPath);
    // It saw each stream's opening and first live event, not the live events the fan-out wrote.
    const openings = markedOnRoute.seen.on('/own/marked').filter((v) => (v as MessageEvent).retry);
    expect(openings).toHaveLength(2);
    const events = markedOnRoute.seen.eventsOn('/own/marked', 'marked');
    expect(events.map((event) => JSON.parse(event.data as string) as string)).toEqual([
      texts[0],
      texts[0],
    ]);
  });

  it("gives global and controller interceptors the writer's StreamableFile, never an event, and keeps the fast path", async () => {
    expect(await received('/wrapped/as-is', 'wrapped')).toEqual([texts, texts]);
    expect(deliveries.of('wrapped')).toEqual(fastPath);
    for (const outer of [globalByProvider, globalByApp, onController]) {
      const seen = outer.seen.on('/wrapped/as-is');
      expect(seen).toHaveLength(2);
      expect(seen.every((value) => value instanceof StreamableFile)).toBe(true);
    }
  });

  it("serves the module's GET /events (which writes its stream itself) as a @RippleSse() route: the fast path, and the StreamableFile to global interceptors", async () => {
    expect(await received('/events', 'built-in')).toEqual([texts, texts]);
    expect(deliveries.of('built-in')).toEqual(fastPath);
    for (const outer of [globalByProvider, globalByApp]) {
      const seen = outer.seen.on('/events');
      expect(seen).toHaveLength(2);
      expect(seen.every((value) => value instanceof StreamableFile)).toBe(true);
    }
  });

  it('gives a method interceptor declared below @RippleSse() the StreamableFile too', async () => {
    expect(await received('/own/outside', 'outside')).toEqual([texts, texts]);
    expect(deliveries.of('outside')).toEqual(fastPath);
    const seen = belowRippleSse.seen.on('/own/outside');
    expect(seen).toHaveLength(2);
    expect(seen.every((value) => value instanceof StreamableFile)).toBe(true);
  });
});
