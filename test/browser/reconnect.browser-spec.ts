import type { Page } from 'playwright-core';
import { describeInChromium, waitInPage } from '../utils/chromium.js';
import { post } from '../utils/test-app.js';
import { PageServer, pageSuite } from './page-server.js';

// The browser reports each refused reconnect, the stream cut when its server went away, and the
// 503 of a server caught shutting down (the page then reconnects by itself).
const EXPECTED_CONSOLE = [
  /ERR_CONNECTION_REFUSED/,
  /the server responded with a status of 503/,
  /ERR_CONNECTION_RESET/,
  /ERR_EMPTY_RESPONSE/,
  /ERR_INCOMPLETE_CHUNKED_ENCODING/,
];
// A short retry: delay, so the page comes back quickly once the server does.
const ENV = { RIPPLE_RETRY_MS: '200' };

interface LogEntry {
  topic: string;
  type: string;
  id: string;
  data: any;
}

const newsLog = (page: Page) =>
  page.evaluate(() =>
    ((window as any).ripple.log() as LogEntry[]).filter((e) => e.topic === 'news'),
  );

const waitForNews = (page: Page, count: number) =>
  waitInPage(
    page,
    `${count} news event(s) in the log`,
    (n) => (window as any).ripple.log().filter((e: LogEntry) => e.topic === 'news').length >= n,
    count,
  );

const waitForState = (page: Page, state: string, timeoutMs = 5000) =>
  waitInPage(page, `state ${state}`, (s) => (window as any).ripple.state === s, state, timeoutMs);

describeInChromium('the live page across server restarts, in Chromium', () => {
  let page: Page;
  const servers = pageSuite(EXPECTED_CONSOLE, (p) => (page = p));

  it('HTTP listener restarted in the same process (history kept): shows reconnecting then open, and catches up what was published while it was down', async () => {
    const server = await PageServer.start(ENV);
    servers.push(server);
    await page.goto(`${server.url}/?topic=news`);
    await waitForState(page, 'open');

    // Live events first: they also let the page time the catch-up against the server's clock.
    for (const n of [1, 2]) {
      expect((await post(`${server.url}/events/news`, { data: { n } })).status).toBe(201);
    }
    await waitForNews(page, 2);

    await server.dropNetwork();
    await waitForState(page, 'reconnecting');
    // Published while no browser can reach the server; kept in the process's history.
    for (const n of [3, 4, 5]) {
      await server.hub.publish('news', { n });
    }
    // At least one reconnect was refused: the page kept trying while the server was down.
    await waitInPage(page, 'a refused reconnect', () => (window as any).ripple.attempt >= 2, null);
    await expect(page.locator('#conn-state-text').textContent()).resolves.toMatch(
      /^Reconnecting \(attempt \d+\)/,
    );

    await server.restoreNetwork();
    await waitForState(page, 'open');
    await waitForNews(page, 5);
    const [resume] = await waitInPage(
      page,
      'the resume to be counted',
      () => {
        const resumes = (window as any).ripple.resumes();
        return resumes.length ? resumes : null;
      },
      null,
    );
    expect(resume).toMatchObject({ caughtUp: 3, resetTopics: [] });
    await expect(page.locator('#resume-notice').isVisible()).resolves.toBe(true);
    await expect(page.locator('#resume-text').textContent()).resolves.toMatch(
      /caught up 3 events published meanwhile\.$/,
    );
    await expect(page.locator('#reset-notice').isHidden()).resolves.toBe(true);

    // Then live again: every event once, in order, ids growing.
    expect((await post(`${server.url}/events/news`, { data: { n: 6 } })).status).toBe(201);
    await waitForNews(page, 6);
    const news = await newsLog(page);
    expect(news.map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5, 6]);
    const ids = news.map((e) => e.id);
    expect(new Set(ids).size).toBe(6);
    const ms = ids.map((id) => id.split('-').map(Number));
    for (let i = 1; i < ms.length; i++) {
      expect(
        ms[i][0] > ms[i - 1][0] || (ms[i][0] === ms[i - 1][0] && ms[i][1] > ms[i - 1][1]),
      ).toBe(true);
    }
    const states = await page.evaluate(() =>
      ((window as any).ripple.states() as { state: string }[]).map((s) => s.state),
    );
    expect(states.join(' ')).toMatch(/^connecting open (reconnecting )+open$/);
    await expect(page.locator('#resume-notice').getByRole('button').click()).resolves.toBe(
      undefined,
    );
    await expect(page.locator('#resume-notice').isHidden()).resolves.toBe(true);
  });

  it('Disconnect, then Connect: resumes from the cursor and catches up what was published meanwhile', async () => {
    const server = await PageServer.start(ENV);
    servers.push(server);
    await page.goto(`${server.url}/?topic=news`);
    await waitForState(page, 'open');
    expect((await post(`${server.url}/events/news`, { data: { n: 1 } })).status).toBe(201);
    await waitForNews(page, 1);

    const toggle = page.locator('#conn-toggle');
    await toggle.click();
    await waitForState(page, 'closed');
    await expect(toggle.textContent()).resolves.toBe('Connect');
    for (const n of [2, 3]) {
      expect((await post(`${server.url}/events/news`, { data: { n } })).status).toBe(201);
    }
    await toggle.press('Enter');
    await waitForState(page, 'open');
    await waitForNews(page, 3);
    const [resume] = await waitInPage(
      page,
      'the resume to be counted',
      () => {
        const resumes = (window as any).ripple.resumes();
        return resumes.length ? resumes : null;
      },
      null,
    );
    expect(resume).toMatchObject({ caughtUp: 2, resetTopics: [] });
    await expect(page.locator('#resume-text').textContent()).resolves.toMatch(
      /caught up 2 events published meanwhile\.$/,
    );
    expect((await newsLog(page)).map((e) => e.data.n)).toEqual([1, 2, 3]);
  });

  it('server replaced by a fresh one on the same port (history lost): shows the ripple.reset notice, then streams live', async () => {
    const first = await PageServer.start(ENV);
    servers.push(first);
    await page.goto(`${first.url}/?topic=news`);
    await waitForState(page, 'open');
    expect((await post(`${first.url}/events/news`, { data: { n: 1 } })).status).toBe(201);
    await waitForNews(page, 1);

    servers.pop();
    await first.close();
    await waitForState(page, 'reconnecting');
    const second = await PageServer.start(ENV, first.port);
    servers.push(second);
    await waitForState(page, 'open');

    const [reset] = await waitInPage(
      page,
      'a ripple.reset',
      () => {
        const resets = (window as any).ripple.resets();
        return resets.length ? resets : null;
      },
      null,
    );
    expect(reset).toEqual({ reason: 'unknown-position', topics: ['news'] });
    await expect(page.locator('#reset-notice').isVisible()).resolves.toBe(true);
    await expect(page.locator('#reset-text').textContent()).resolves.toMatch(
      /unknown-position; topics: news\)/,
    );
    // Nothing was resumed, so no resume notice claims otherwise.
    const [resume] = await waitInPage(
      page,
      'the reopen to be recorded',
      () => {
        const resumes = (window as any).ripple.resumes();
        return resumes.length ? resumes : null;
      },
      null,
    );
    expect(resume).toMatchObject({ resetTopics: ['news'] });
    await expect(page.locator('#resume-notice').isHidden()).resolves.toBe(true);

    expect((await post(`${second.url}/events/news`, { data: { n: 2 } })).status).toBe(201);
    await waitForNews(page, 2);
    expect((await newsLog(page)).map((e) => e.data.n)).toEqual([1, 2]);
  });
});
