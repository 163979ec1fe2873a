import { chromium, type Browser, type Page } from 'playwright-core';
import { describeWhenInstalled } from './required-tool.js';

/** Debian's Chromium (`apt-get install chromium`); npm never downloads a browser for these tests. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless, and quiet: no first-run UI, no background traffic that could slow or skew a test. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** `describe`, when Chromium is installed (a loud skip without it; a failure under `CI=true`). */
export function describeInChromium(name: string, fn: () => void): void {
  describeWhenInstalled(
    {
      path: CHROMIUM_PATH,
      why:
        `Chromium is not installed at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) ` +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
      suites: 'the browser tests',
      required: 'runs in Chromium',
    },
    name,
    fn,
  );
}

/**
 * A fresh browser; Playwright gives each launch its own temporary user-data-dir, removed on close.
 * `extraFlags` follow the usual ones (a test's certificate to trust, for instance).
 */
export function launchChromium(extraFlags: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraFlags],
    timeout: 15_000,
  });
}

/** What went wrong in a page: uncaught errors, and console errors other than `expected` ones. */
export function collectPageErrors(page: Page, expected: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !expected.some((re) => re.test(text))) {
      errors.push(`console.error: ${text}`);
    }
  });
  return errors;
}

/**
 * Waits until `predicate(arg)` is truthy in the page and returns its value. On a timeout the error
 * names `what` and shows the page's `window.ripple` state, so a failure explains itself.
 */
export async function waitInPage<T, A>(
  page: Page,
  what: string,
  predicate: (arg: A) => T,
  arg: A,
  timeoutMs = 5000,
): Promise<NonNullable<T>> {
  try {
    const handle = await page.waitForFunction(predicate as (arg: unknown) => T, arg as unknown, {
      polling: 50,
      timeout: timeoutMs,
    });
    return (await handle.jsonValue()) as NonNullable<T>;
  } catch (err) {
    const state = await page
      .evaluate(() => {
        const r = (window as any).ripple;
        return r
          ? JSON.stringify({
              state: r.state,
              attempt: r.attempt,
              topics: r.topics,
              states: r.states(),
              log: r.log().slice(-10),
              resets: r.resets(),
              resumes: r.resumes(),
            })
          : 'window.ripple is missing';
      })
      .catch((e: unknown) => `(page unreadable: ${String(e)})`);
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what}: ${(err as Error).message}\n` +
        `page: ${state}`,
    );
  }
}
