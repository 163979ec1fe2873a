import { Counter, type CounterConfiguration } from 'prom-client';

/**
 * A counter loaded, at each scrape, with totals kept elsewhere: what counts (the fan-out) adds to
 * plain numbers and never calls into prom-client.
 */
export function totalsCounter<T extends string>(
  config: Omit<CounterConfiguration<T>, 'collect'>,
  totals: () => Iterable<readonly [Partial<Record<T, string>>, number]>,
): Counter<T> {
  const counter: Counter<T> = new Counter<T>({
    ...config,
    collect: () => {
      counter.reset();
      for (const [labels, total] of totals()) {
        counter.inc(labels, total);
      }
    },
  });
  return counter;
}
