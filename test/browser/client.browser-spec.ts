import type { Page } from 'playwright-core';
import { describeInChromium, waitInPage } from '../utils/chromium.js';
import { SseReader } from '../utils/sse-reader.js';
import { PageServer, pageSuite } from './page-server.js';

// The 503s of a full instance, which the page's client retries after Retry-After.
const EXPECTED_CONSOLE = [/the server responded with a status of 503/];
const POINTS = 40;
const SPACING_MS = 2500;

/** Ticker points over the last 100 s, as the demo producer would have published them. */
async function seedTicker(server: PageServer): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < POINTS; i++) {
    const ts = now - (POINTS - i) * SPACING_MS;
    await server.hub.publish('ticker', { ts, prices: { AAA: 100 + i, BBB: 80 - i / 2 } });
  }
}

describeInChromium('the page on Ripple’s client, in Chromium (issue 16)', () => {
  let page: Page;
  const servers = pageSuite(EXPECTED_CONSOLE, (p) => (page = p));

  it('opens with the chart already filled from the history the server holds', async () => {
    const server = await PageServer.start();
    servers.push(server);
    await seedTicker(server);
    await page.goto(`${server.url}/`);
    // No live point is published: all the chart shows came from history.
    const xs = await waitInPage(
      page,
      `${POINTS} points on the chart`,
      (n) => {
        const [x] = (window as any).ripple.chartData() as number[][];
        return x.length >= n ? x : null;
      },
      POINTS,
    );
    expect(xs).toHaveLength(POINTS);
    // Spread over the chart's window, not bunched at its right edge.
    expect(xs.at(-1)! - xs[0]).toBeGreaterThan(90);
    expect(await page.evaluate(() => (window as any).ripple.symbols())).toEqual(['AAA', 'BBB']);
    await expect(
      page.locator('#log-rows tr').first().locator('td.type').textContent(),
    ).resolves.toBe('ticker');
    if (process.env.RIPPLE_PAGE_SCREENSHOT) {
      await page.screenshot({ path: process.env.RIPPLE_PAGE_SCREENSHOT, fullPage: true });
    }
  });

  it('comes back by itself after a full instance refused it with 503 for a while', async () => {
    const server = await PageServer.start({ RIPPLE_MAX_CONNECTIONS: '1' });
    servers.push(server);
    const holder = await SseReader.open(`${server.url}/events?topic=clock`);
    expect(holder.status).toBe(200);
    await page.goto(`${server.url}/?topic=news`);
    await page.evaluate(() => ((window as any).sameDocument = true));
    await waitInPage(
      page,
      'a 503 retried',
      () => (window as any).ripple.states().some((s: any) => s.state === 'reconnecting'),
      null,
    );
    await expect(page.locator('#conn-state-text').textContent()).resolves.toMatch(
      /^Reconnecting \(attempt \d+\) in \d+ s$/,
    );
    holder.close();
    await waitInPage(
      page,
      'open again',
      () => (window as any).ripple.state === 'open',
      null,
      15_000,
    );
    await server.hub.publish('news', { n: 1 });
    await waitInPage(
      page,
      'a live event',
      () => (window as any).ripple.log().some((e: any) => e.topic === 'news'),
      null,
    );
    // The same document: no reload brought it back.
    expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  }, 30_000);
});
