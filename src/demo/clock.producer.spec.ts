import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ClockProducer } from './clock.producer.js';

describe('ClockProducer', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-02T03:04:05.678Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('produces the time as ISO text and epoch milliseconds, from one reading', () => {
    expect(new ClockProducer().produce()).toEqual({
      iso: '2030-01-02T03:04:05.678Z',
      epochMs: Date.UTC(2030, 0, 2, 3, 4, 5, 678),
    });
  });

  it('moves with the clock', () => {
    const clock = new ClockProducer();
    const first = clock.produce();

    jest.advanceTimersByTime(1000);

    expect(clock.produce().epochMs - first.epochMs).toBe(1000);
  });
});
