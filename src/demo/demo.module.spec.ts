import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Global, Logger, Module, type MessageEvent } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Subscription } from 'rxjs';
import { rippleConfig } from '../config/ripple.config.js';
import { ProducersModule } from '../producers/index.js';
import { SseHub, SseModule } from '../sse/index.js';
import { DemoModule } from './demo.module.js';

/** The service's settings, as far as the demo reads them. */
@Global()
@Module({
  providers: [{ provide: rippleConfig.KEY, useValue: { instanceId: 'it-1' } }],
  exports: [rippleConfig.KEY],
})
class ConfigStub {}

/** The demo producers against the real hub (memory transport), as the app wires them. */
describe('DemoModule with ProducersModule and SseModule', () => {
  let app: TestingModule | undefined;
  let subscription: Subscription | undefined;

  afterEach(async () => {
    subscription?.unsubscribe();
    await app?.close();
    app = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('streams the demo topics through the hub, each at its rate', async () => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    app = await Test.createTestingModule({
      imports: [
        ConfigStub,
        SseModule.forRoot({}),
        ProducersModule.forRoot({ enabled: ['clock', 'ticker', 'system'], instanceId: 'it-1' }),
        DemoModule,
      ],
    }).compile();
    await app.init();
    const events: MessageEvent[] = [];
    subscription = app
      .get(SseHub)
      .stream(['clock', 'ticker', 'system'])
      .subscribe((event) => events.push(event));

    await jest.advanceTimersByTimeAsync(1000);

    const dataOf = (type: string): unknown[] =>
      events
        .filter((event) => event.type === type)
        // The hub hands the payload on as the JSON text it stored.
        .map((event) => JSON.parse(event.data as string) as unknown);
    expect(dataOf('clock')).toEqual([{ iso: expect.any(String), epochMs: expect.any(Number) }]);
    expect(dataOf('ticker')).toHaveLength(4);
    expect(dataOf('system')).toEqual([
      expect.objectContaining({ instance: 'it-1', connections: 1 }),
    ]);
  });
});
