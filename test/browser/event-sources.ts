import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors } from '../utils/chromium.js';
import { until } from '../utils/until.js';

/**
 * A fresh context and page for each test of the suite, its errors checked after it: returns the
 * current page. Chromium asks for a favicon: answered here, so that it neither takes a connection
 * of the origin nor logs a 404.
 */
export function pagePerTest(browser: () => Browser): () => Page {
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  beforeEach(async () => {
    context = await browser().newContext();
    page = await context.newPage();
    await page.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
    errors = collectPageErrors(page);
  });
  afterEach(async () => {
    await context.close();
    expect(errors).toEqual([]);
  });
  return () => page;
}

/** One EventSource of the page, as the test reads it. */
export interface StreamState {
  opened: boolean;
  /** 0 CONNECTING, 1 OPEN, 2 CLOSED. */
  readyState: number;
  /** The `n` of each event received, in order. */
  events: number[];
}

/**
 * Loads a page of `origin` (a small JSON answer, so that the page itself holds no stream), opens
 * `count` EventSources of `topic` from it, and returns the protocol the page came over.
 */
export async function openStreams(
  page: Page,
  origin: string,
  topic: string,
  count: number,
): Promise<string> {
  await page.goto(`${origin}/health/live`);
  await page.evaluate(
    ({ count, topic }) => {
      (window as any).streams = Array.from({ length: count }, () => {
        const source = new EventSource(`/events?topic=${topic}`);
        const stream = { source, opened: false, events: [] as number[] };
        source.onopen = () => (stream.opened = true);
        // Ripple names an event after its topic when the publisher gives no type.
        source.addEventListener(topic, (e) =>
          stream.events.push(JSON.parse((e as MessageEvent).data).n),
        );
        return stream;
      });
    },
    { count, topic },
  );
  return page.evaluate(
    () =>
      (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
        .nextHopProtocol,
  );
}

export function streamStates(page: Page): Promise<StreamState[]> {
  return page.evaluate(() =>
    (window as any).streams.map((s: any) => ({
      opened: s.opened,
      readyState: s.source.readyState,
      events: s.events,
    })),
  );
}

/** Waits until `check` holds for the page's streams; a timeout shows them. */
export async function untilStreams(
  page: Page,
  what: string,
  check: (states: StreamState[]) => boolean,
): Promise<void> {
  let last: StreamState[] = [];
  try {
    await until(async () => check((last = await streamStates(page))), what);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nstreams: ${JSON.stringify(last)}`);
  }
}
