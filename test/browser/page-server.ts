import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureApp, type RippleApplication } from '../../src/app.setup.js';
import { rippleConfig } from '../../src/config/ripple.config.js';
import { SseHub } from '../../src/sse/index.js';
import { collectPageErrors, launchChromium } from '../utils/chromium.js';
import { createTestApplication, testConfig } from '../utils/test-app.js';

/**
 * The real app for the page, as `startApp` in test/utils/test-app.ts builds it (on the platform
 * `RIPPLE_ADAPTER` names), but on a port of
 * the test's choosing (to come back on the same one), and with its HTTP listener under the test's
 * control: `dropNetwork` closes the listener and every socket while the app and its in-memory
 * history live on, and `restoreNetwork` listens again on the same port.
 */
export class PageServer {
  private constructor(
    readonly app: RippleApplication,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get hub(): SseHub {
    return this.app.get(SseHub);
  }

  private get server(): Server {
    return this.app.getHttpServer() as Server;
  }

  static async start(env: Record<string, string> = {}, port = 0): Promise<PageServer> {
    const config = testConfig(env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(rippleConfig.KEY)
      .useValue(config)
      .compile();
    const app = await createTestApplication(moduleRef, config, {
      bodyParser: false,
      logger: ['error', 'warn'],
    });
    configureApp(app, config);
    await app.listen(port, '127.0.0.1');
    const address = (app.getHttpServer() as Server).address() as AddressInfo;
    return new PageServer(app, address.port);
  }

  /** Stops listening and destroys every open socket: to a browser, the server is gone. */
  async dropNetwork(): Promise<void> {
    const server = this.server;
    const closed = new Promise<void>((resolve, reject) =>
      server.close((err) => (err ? reject(err) : resolve())),
    );
    server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  restoreNetwork(): Promise<void> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (!this.server.listening) {
      await this.restoreNetwork();
    }
    await this.app.close();
  }
}

/**
 * A suite of page tests: one Chromium for the suite, a fresh context and page for every test
 * (handed to `onPage`), the servers the test started (pushed on the answer) closed after it, and
 * no page error but the `expected` console lines.
 */
export function pageSuite(expected: RegExp[], onPage: (page: Page) => void): PageServer[] {
  let browser: Browser;
  let context: BrowserContext;
  let errors: string[];
  const servers: PageServer[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    errors = collectPageErrors(page, expected);
    onPage(page);
  });
  afterEach(async () => {
    await context.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    expect(errors).toEqual([]);
  });
  return servers;
}
