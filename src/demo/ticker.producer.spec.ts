import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { TickerProducer } from './ticker.producer.js';

const SYMBOLS = ['ACME', 'GLOBEX', 'INITECH'];

const inCents = (price: number): boolean => Math.abs(price * 100 - Math.round(price * 100)) < 1e-6;

describe('TickerProducer', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('produces a timestamp and a price in cents for each symbol', () => {
    jest.useFakeTimers({ now: 1_900_000_000_000 });
    try {
      const event = new TickerProducer().produce();

      expect(event.ts).toBe(1_900_000_000_000);
      expect(Object.keys(event.prices).sort()).toEqual(SYMBOLS);
      for (const price of Object.values(event.prices)) {
        expect(price).toBeGreaterThan(0);
        expect(inCents(price)).toBe(true);
      }
    } finally {
      jest.useRealTimers();
    }
  });

  it('walks: prices move between ticks, by a small step', () => {
    const ticker = new TickerProducer();
    let previous = ticker.produce().prices;
    let moves = 0;

    for (let tick = 0; tick < 100; tick++) {
      const { prices } = ticker.produce();
      for (const symbol of SYMBOLS) {
        expect(Math.abs(prices[symbol] / previous[symbol] - 1)).toBeLessThan(0.02);
        moves += prices[symbol] === previous[symbol] ? 0 : 1;
      }
      previous = prices;
    }

    expect(moves).toBeGreaterThan(150);
  });

  it('never goes negative or to zero, even falling every tick', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const ticker = new TickerProducer();
    let prices: Record<string, number> = {};

    for (let tick = 0; tick < 5000; tick++) {
      prices = ticker.produce().prices;
    }

    expect(prices).toEqual({ ACME: 0.01, GLOBEX: 0.01, INITECH: 0.01 });
  });

  it('recovers from the floor when the walk turns', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    const ticker = new TickerProducer();
    for (let tick = 0; tick < 5000; tick++) {
      ticker.produce();
    }

    random.mockReturnValue(1);
    let prices: Record<string, number> = {};
    for (let tick = 0; tick < 1000; tick++) {
      prices = ticker.produce().prices;
    }

    for (const price of Object.values(prices)) {
      expect(price).toBeGreaterThan(0.1);
    }
  });
});
