import { Producer, type ProducerTick } from '../producers/index.js';

export interface TickerEvent {
  ts: number;
  prices: Record<string, number>;
}

const OPENING_PRICES: Readonly<Record<string, number>> = {
  ACME: 101.23,
  GLOBEX: 57.4,
  INITECH: 23.9,
};

/** The largest move of one tick, as a fraction of the price (4 ticks a second). */
const MAX_STEP = 0.004;

/** A price never shows below one cent, however long the walk goes down. */
const FLOOR = 0.01;

const toCents = (price: number): number => Math.max(FLOOR, Math.round(price * 100) / 100);

/**
 * Made-up prices for the chart: a multiplicative random walk, so a price moves in proportion to
 * its size and can approach zero but never cross it.
 */
@Producer({ name: 'ticker', topic: 'ticker', intervalMs: 250 })
export class TickerProducer implements ProducerTick {
  // Kept unrounded: rounding every step would bias the walk and could stall cheap prices.
  private readonly prices = new Map(Object.entries(OPENING_PRICES));

  produce(): TickerEvent {
    const prices: Record<string, number> = {};
    for (const [symbol, price] of this.prices) {
      // The floor also keeps a long fall from underflowing to a zero it could never leave.
      const next = Math.max(FLOOR, price * Math.exp(MAX_STEP * (2 * Math.random() - 1)));
      this.prices.set(symbol, next);
      prices[symbol] = toCents(next);
    }
    return { ts: Date.now(), prices };
  }
}
