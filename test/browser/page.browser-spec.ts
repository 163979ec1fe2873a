import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  collectPageErrors,
  describeInChromium,
  launchChromium,
  waitInPage,
} from '../utils/chromium.js';
import { ADAPTERS } from '../utils/test-app.js';
import { PageServer } from './page-server.js';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
// Chromium logs the 4xx the publish form is made to provoke; that is the page working.
const EXPECTED_CONSOLE = [/Failed to load resource: the server responded with a status of 4\d\d/];

const waitForPublishAnswer = (page: Page, prefix: string) =>
  waitInPage(
    page,
    `a publish answer starting "${prefix}"`,
    (p) => document.getElementById('publish-result')!.textContent!.startsWith(p),
    prefix,
  );

// On each platform: the page, its client and uPlot are served by either, and the same stream.
for (const adapter of ADAPTERS) {
  describeInChromium(`the live page in Chromium, on ${adapter}`, () => {
    let server: PageServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let errors: string[];

    beforeAll(async () => {
      [server, browser] = await Promise.all([
        PageServer.start({
          RIPPLE_ADAPTER: adapter,
          RIPPLE_PRODUCERS: 'clock,ticker,system',
          RIPPLE_INSTANCE_ID: 'page-test',
        }),
        launchChromium(),
      ]);
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    beforeEach(async () => {
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      errors = collectPageErrors(page, EXPECTED_CONSOLE);
      await page.goto(server.url);
    });
    afterEach(async () => {
      await context.close();
      expect(errors).toEqual([]);
    });

    it('opens the stream: the state goes to open and the instance is named', async () => {
      await waitInPage(page, 'state open', () => (window as any).ripple.state === 'open', null);
      await expect(page.locator('#conn-state-text').textContent()).resolves.toBe('Open');
      await waitInPage(
        page,
        'the instance from the system topic',
        () => (window as any).ripple.instance === 'page-test',
        null,
        4000,
      );
      await expect(page.locator('#instance').textContent()).resolves.toBe('page-test');
    });

    it('plots ticker points on the chart', async () => {
      const [xs, ...series] = await waitInPage(
        page,
        '3 ticker points on the chart',
        () => {
          const data: (number | null)[][] = (window as any).ripple.chartData();
          return data[0].length >= 3 && data.length >= 3 ? data : null;
        },
        null,
        5000,
      );
      const symbols = await page.evaluate(() => (window as any).ripple.symbols() as string[]);
      expect(symbols.length).toBe(series.length);
      expect(symbols.length).toBeGreaterThanOrEqual(2);
      for (const ys of series) {
        expect(ys).toHaveLength(xs.length);
        expect(ys.every((y) => y === null || Number.isFinite(y))).toBe(true);
      }
      // Epoch seconds, sorted, and recent.
      expect([...xs].sort((a, b) => a! - b!)).toEqual(xs);
      expect(Math.abs(xs.at(-1)! - Date.now() / 1000)).toBeLessThan(30);
      // uPlot drew it: a canvas exists, and the latest prices are listed beside it.
      await page.locator('#chart canvas').waitFor({ state: 'attached', timeout: 2000 });
      await expect(page.locator('#prices li').count()).resolves.toBe(symbols.length);
    });

    it('fills the system table with this instance', async () => {
      // The page opens with history: its first rows may predate this page's own connection.
      await waitInPage(
        page,
        'a system row counting this page',
        () => (window as any).ripple.systemRows()[0]?.connections >= 1,
        null,
        4000,
      );
      const rows = await page.evaluate(() => (window as any).ripple.systemRows());
      expect(rows).toEqual([
        expect.objectContaining({ instance: 'page-test', connections: expect.any(Number) }),
      ]);
      expect(rows[0].connections).toBeGreaterThanOrEqual(1);
      const row = page.locator('#system-rows tr[data-instance="page-test"]');
      await expect(row.locator('th').textContent()).resolves.toBe('page-test');
      const cells = await row.locator('td').allTextContents();
      expect(cells).toHaveLength(6);
      // RSS and heap are known from the first sample (CPU may need a second one).
      expect(cells[1]).toMatch(/^\d+\.\d$/);
      expect(cells[2]).toMatch(/^\d+\.\d$/);
    });

    it('subscribes from the topic box (keyboard), and shows what the publish form posts in the log', async () => {
      await waitInPage(page, 'state open', () => (window as any).ripple.state === 'open', null);
      const topicsBox = page.getByLabel('Topics to stream');
      await expect(topicsBox.inputValue()).resolves.toBe('clock, ticker, system');
      await topicsBox.fill('clock news');
      await topicsBox.press('Enter');
      await waitInPage(
        page,
        'the new topics, open',
        () => {
          const r = (window as any).ripple;
          return r.topics.join() === 'clock,news' && r.state === 'open';
        },
        null,
      );
      await expect(page.locator('#topics-status').textContent()).resolves.toBe(
        'Streaming clock, news.',
      );
      expect(new URL(page.url()).search).toBe('?topic=clock&topic=news');

      // Without a type: the event is named after its topic.
      await page.getByLabel('Topic', { exact: true }).fill('news');
      await page.getByLabel('Data (JSON)').fill('{"headline": "hello from the form"}');
      await page.getByRole('button', { name: 'Publish' }).click();
      await waitForPublishAnswer(page, '201 ');
      await expect(page.locator('#publish-result').textContent()).resolves.toMatch(
        /^201 Created: id \d+-\d+\.$/,
      );
      const entry = await waitInPage(
        page,
        'the published event in the log',
        () =>
          (window as any).ripple
            .log()
            .find((e: any) => e.topic === 'news' && e.data?.headline === 'hello from the form'),
        null,
      );
      const publishedId = /id (\d+-\d+)\./.exec(
        (await page.locator('#publish-result').textContent())!,
      )![1];
      expect(entry).toMatchObject({ topic: 'news', type: 'news', id: publishedId });
      expect(entry.cursor).toContain(`news=${publishedId}`);
      const newsRow = page.locator('#log-rows tr', { hasText: 'hello from the form' });
      await expect(newsRow.locator('td.topic').textContent()).resolves.toBe('news');
      await expect(newsRow.locator('td.id').textContent()).resolves.toBe(publishedId);

      // With a type, typed with the keyboard and sent with Ctrl+Enter: the page listens for it.
      await page.getByLabel('Event type').fill('breaking');
      const data = page.getByLabel('Data (JSON)');
      await data.fill('{"headline": "typed"}');
      await data.press('Control+Enter');
      await waitInPage(
        page,
        'the typed event in the log',
        () =>
          (window as any).ripple
            .log()
            .some(
              (e: any) =>
                e.topic === 'news' && e.type === 'breaking' && e.data?.headline === 'typed',
            ),
        null,
      );
      await expect(
        page.locator('#log-rows tr', { hasText: 'typed' }).locator('td.topic').textContent(),
      ).resolves.toBe('news');
      // The type has a column of its own.
      await expect(
        page.locator('#log-rows tr', { hasText: 'typed' }).locator('td.type').textContent(),
      ).resolves.toBe('breaking');

      // The server's refusal is shown as it gave it.
      await page.getByLabel('Event type').fill('ripple.fake');
      await page.getByRole('button', { name: 'Publish' }).click();
      await waitForPublishAnswer(page, '400 ');
      await expect(page.locator('#publish-result').textContent()).resolves.toMatch(
        /^400 Bad Request: .*type/i,
      );
      // Data that is not JSON never leaves the page.
      await page.getByLabel('Event type').fill('');
      await data.fill('{not json');
      await page.getByRole('button', { name: 'Publish' }).click();
      await expect(page.locator('#publish-result').textContent()).resolves.toMatch(
        /^The data is not JSON: /,
      );
      await expect(data.getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('publish-data');
    });

    it('pauses the log and catches it up on resume', async () => {
      await waitInPage(page, 'a logged event', () => (window as any).ripple.log().length > 0, null);
      const pause = page.locator('#log-pause');
      await page.getByRole('button', { name: 'Pause' }).click();
      // Labelled with what a press does: Resume while paused.
      await expect(pause.textContent()).resolves.toMatch(/^\s*Resume\s*$/);
      const shown = await page.locator('#log-rows tr').count();
      const newest = await page.locator('#log-rows tr').first().textContent();
      await waitInPage(
        page,
        '3 events held back while paused',
        () => Number.parseInt(document.getElementById('log-held')!.textContent || '0', 10) >= 3,
        null,
      );
      await expect(page.locator('#log-held').isVisible()).resolves.toBe(true);
      expect(await page.locator('#log-rows tr').count()).toBe(shown);
      await page.getByRole('button', { name: 'Resume' }).press('Enter');
      await expect(pause.textContent()).resolves.toMatch(/^\s*Pause\s*$/);
      // The log may be full already (it opens with history): what is new is on top.
      expect(await page.locator('#log-rows tr').count()).toBeGreaterThanOrEqual(shown);
      expect(await page.locator('#log-rows tr').first().textContent()).not.toBe(newest);
      await expect(page.locator('#log-held').isHidden()).resolves.toBe(true);
    });

    it('runs the /async demo from its button: 42, 100, end', async () => {
      await page.getByRole('button', { name: 'Run /async demo' }).click();
      const demo = await waitInPage(
        page,
        'the demo to finish',
        () => {
          const d = (window as any).ripple.asyncDemo();
          return d.status === 'running' ? null : d;
        },
        null,
        4000,
      );
      expect(demo).toEqual({
        status: 'done',
        messages: [{ val: 42 }, { val: 100 }, { msg: 'end' }],
      });
      await expect(page.locator('#async-log li').allTextContents()).resolves.toEqual([
        '{"val":42}',
        '{"val":100}',
        '{"msg":"end"}',
      ]);
      await expect(page.locator('#async-status').textContent()).resolves.toMatch(/Received "end"/);
    });

    it('saves screenshots at desktop and phone width, with nothing wider than a phone', async () => {
      mkdirSync(OUTPUT, { recursive: true });
      const ready = () => {
        const r = (window as any).ripple;
        return r.chartData()[0].length >= 8 && r.systemRows().length > 0 && r.log().length >= 10;
      };
      await waitInPage(page, 'a filled page', ready, null, 6000);
      await page.screenshot({ path: `${OUTPUT}page-desktop.png`, fullPage: true });

      const phone = await browser.newContext({
        viewport: { width: 375, height: 812 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      });
      try {
        const small = await phone.newPage();
        const smallErrors = collectPageErrors(small, EXPECTED_CONSOLE);
        await small.goto(server.url);
        await waitInPage(small, 'a filled page at 375 px', ready, null, 6000);
        const widths = await small.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          wider: [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((el) => el.id || el.className || el.tagName),
        }));
        expect(widths).toEqual({ page: 375, viewport: 375, wider: [] });
        await small.screenshot({ path: `${OUTPUT}page-phone.png`, fullPage: true });
        expect(smallErrors).toEqual([]);
      } finally {
        await phone.close();
      }
    });
  });
}
