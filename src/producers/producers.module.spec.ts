import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger, type MessageEvent } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Subscription } from 'rxjs';
import { SseHub, SseModule } from '../sse/index.js';
import { ProducersModule } from './producers.module.js';

/** The built-in producers against the real hub (memory transport), as the app wires them. */
describe('ProducersModule with SseModule', () => {
  let app: TestingModule | undefined;
  let subscription: Subscription | undefined;

  afterEach(async () => {
    subscription?.unsubscribe();
    await app?.close();
    app = undefined;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('streams the built-in topics through the hub, each at its rate', async () => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    app = await Test.createTestingModule({
      imports: [
        SseModule.forRoot({}),
        ProducersModule.forRoot({ enabled: ['clock', 'ticker', 'system'], instanceId: 'it-1' }),
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
