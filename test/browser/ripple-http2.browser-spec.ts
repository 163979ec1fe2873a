import type { Http2Server, Http2ServerRequest } from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SseHub } from '../../src/sse/index.js';
import { describeInChromium, launchChromium } from '../utils/chromium.js';
import { describeWithOpenssl, selfSignedCertificate } from '../utils/self-signed.js';
import { platformEnv, startApp, type TestApp } from '../utils/test-app.js';
import { openStreams, pagePerTest, untilStreams } from './event-sources.js';

/** EventSources the page opens, all to one origin: past Chromium's 6 per origin over HTTP/1.1. */
const STREAMS = 10;

/**
 * HTTP/2 in Ripple itself, with no proxy: the service on Fastify's `http2` option over TLS
 * (RIPPLE_HTTP2, RIPPLE_TLS_CERT/KEY), a certificate the test makes, Chromium trusting it by its
 * key. (Through nginx, and the 7th stream waiting over HTTP/1.1: http2.browser-spec.ts.)
 */
describeInChromium('ten EventSources of one page to Ripple on HTTP/2, in Chromium', () => {
  describeWithOpenssl('RIPPLE_HTTP2=true with a self-signed certificate made by the test', () => {
    let dir: string;
    let app: TestApp;
    let browser: Browser;
    /** The HTTP/2 session of each stream request, as the server saw it. */
    const sessions: unknown[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ripple-own-h2-'));
      const certificate = await selfSignedCertificate(dir);
      app = await startApp({
        ...platformEnv('fastify-h2c'),
        RIPPLE_TLS_CERT: certificate.cert,
        RIPPLE_TLS_KEY: certificate.key,
      });
      const server = app.app.getHttpServer() as unknown as Http2Server;
      server.on('request', (req: Http2ServerRequest) => {
        if (req.url.startsWith('/events')) {
          sessions.push(req.stream.session);
        }
      });
      browser = await launchChromium([`--ignore-certificate-errors-spki-list=${certificate.spki}`]);
    });
    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const page = pagePerTest(() => browser);

    it('all 10 open over h2, on one connection, and get a published event live', async () => {
      const origin = app.url.replace('http:', 'https:');
      expect(await openStreams(page(), origin, 'own-h2', STREAMS)).toBe('h2');
      await untilStreams(page(), 'all 10 open', (s) =>
        s.every((x) => x.opened && x.readyState === 1),
      );
      await app.app.get(SseHub).publish('own-h2', { n: 1 });
      await untilStreams(page(), 'the event on all 10', (s) =>
        s.every((x) => x.events.join() === '1'),
      );
      expect(sessions).toHaveLength(STREAMS);
      expect(new Set(sessions).size).toBe(1);
    });
  });
});
