import type { AddressInfo } from 'node:net';
import { Controller, Module, Query, type MessageEvent } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { map, type Observable } from 'rxjs';
import { configureApp, type RippleApplication } from '../src/app.setup.js';
import { RippleSse, SseHub, SseModule } from '../src/sse/index.js';
import { SseReader } from './utils/sse-reader.js';
import { ADAPTERS, createTestApplication, testConfig } from './utils/test-app.js';

/** Routes a user would write: the stream as it is, piped through an operator, from an async handler. */
@Controller('custom')
class CustomStreamsController {
  constructor(private readonly hub: SseHub) {}

  @RippleSse('as-is')
  asIs(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }

  @RippleSse('upper')
  upper(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub
      .stream([topic])
      .pipe(
        map((message) =>
          typeof message.data === 'string'
            ? { ...message, data: message.data.toUpperCase() }
            : message,
        ),
      );
  }

  @RippleSse('later')
  async later(@Query('topic') topic: string): Promise<Observable<MessageEvent>> {
    await new Promise((resolve) => setImmediate(resolve));
    return this.hub.stream([topic]);
  }
}

@Module({
  imports: [SseModule.forRoot({ drainMs: 0 })],
  controllers: [CustomStreamsController],
})
class CustomStreamsModule {}

describe.each(ADAPTERS)('@RippleSse() on routes of your own (e2e), on %s', (adapter) => {
  let app: RippleApplication;
  let url: string;
  let hub: SseHub;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CustomStreamsModule] }).compile();
    const config = testConfig({ RIPPLE_ADAPTER: adapter });
    app = await createTestApplication(moduleRef, config, { logger: ['error', 'warn'] });
    configureApp(app, config);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    hub = app.get(SseHub);
  });
  afterAll(async () => {
    await app.close();
  });

  /** Opens the route, publishes `texts` once it has joined, and returns the data it received. */
  async function received(route: string, topic: string, texts: string[]): Promise<string[]> {
    const reader = await SseReader.open(`${url}/custom/${route}?topic=${topic}`);
    try {
      await reader.framesOf('retry', 1); // the opening frame: joined, so what follows is live
      for (const text of texts) {
        await hub.publish(topic, text);
      }
      const frames = await reader.framesOf(topic, texts.length);
      return frames.map((frame) => JSON.parse(frame.data) as string);
    } finally {
      reader.close();
    }
  }

  const texts = ['one', 'two', 'three', 'four'];

  it('streams a returned hub.stream() as it is, every event once and in order', async () => {
    expect(await received('as-is', 'plain', texts)).toEqual(texts);
  });

  it("never skips the handler's own operators, for any live event", async () => {
    // Past the first live event a one-topic stream may be written from its topic's fan-out: only
    // when the handler returned it as it is, or this operator would miss the later events.
    expect(await received('upper', 'shout', texts)).toEqual(texts.map((t) => t.toUpperCase()));
  });

  it('streams what an async handler returns', async () => {
    expect(await received('later', 'late', texts)).toEqual(texts);
  });
});
