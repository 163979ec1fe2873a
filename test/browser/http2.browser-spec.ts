import type { IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { describeInChromium, launchChromium } from '../utils/chromium.js';
import { describeWithNginx, startNginx, type Nginx } from '../utils/nginx.js';
import { describeWithOpenssl, selfSignedCertificate } from '../utils/self-signed.js';
import { post, startApp, type TestApp } from '../utils/test-app.js';
import {
  openStreams,
  pagePerTest,
  streamStates,
  untilStreams,
  type StreamState,
} from './event-sources.js';

/** EventSources the page opens, all to one origin. */
const STREAMS = 10;
/** Chromium's HTTP/1.1 connections per origin (host and port): the 7th request waits for one. */
const HTTP1_PER_ORIGIN = 6;

/** A request for a topic's stream, as the instance behind nginx saw it. */
interface Upstream {
  topic: string;
  httpVersion: string;
  proto: string | undefined;
}

describeInChromium('ten EventSources of one page through nginx, in Chromium', () => {
  describeWithNginx(
    'deploy/nginx: ripple.conf (HTTP/1.1) and ripple-tls.conf (TLS, HTTP/2)',
    () => {
      describeWithOpenssl('with a self-signed certificate made by the test', () => {
        let dir: string;
        let app: TestApp;
        let nginx: Nginx;
        let browser: Browser;
        const upstream: Upstream[] = [];

        beforeAll(async () => {
          dir = await mkdtemp(join(tmpdir(), 'ripple-h2-'));
          const certificate = await selfSignedCertificate(dir);
          app = await startApp();
          app.app.getHttpServer().on('request', (req: IncomingMessage) => {
            const url = new URL(req.url ?? '/', 'http://instance');
            if (url.pathname === '/events') {
              upstream.push({
                topic: url.searchParams.get('topic') ?? '',
                httpVersion: req.httpVersion,
                proto: req.headers['x-forwarded-proto'] as string | undefined,
              });
            }
          });
          // One instance: both upstream servers of ripple.conf point at it.
          const port = Number(new URL(app.url).port);
          nginx = await startNginx([port, port], certificate);
          // Chromium trusts this certificate (by its key) and no other.
          browser = await launchChromium([
            `--ignore-certificate-errors-spki-list=${certificate.spki}`,
          ]);
        });
        afterAll(async () => {
          await browser?.close();
          await nginx?.stop();
          await app?.close();
          await rm(dir, { recursive: true, force: true });
        });

        const page = pagePerTest(() => browser);

        const open = (origin: string, topic: string) => openStreams(page(), origin, topic, STREAMS);
        const states = () => streamStates(page());
        const untilAll = (what: string, check: (states: StreamState[]) => boolean) =>
          untilStreams(page(), what, check);
        const publish = async (topic: string, n: number) => {
          expect((await post(`${app.url}/events/${topic}`, { data: { n } })).status).toBe(201);
        };
        const seenUpstream = (topic: string) => upstream.filter((u) => u.topic === topic);

        it('over HTTP/2 (TLS), all 10 open and get a published event live; nginx asks the instance over HTTP/1.1', async () => {
          expect(await open(nginx.tlsUrl!, 'h2-crowd')).toBe('h2');
          await untilAll('all 10 open', (s) => s.every((x) => x.opened && x.readyState === 1));
          await publish('h2-crowd', 1);
          await untilAll('the event on all 10', (s) => s.every((x) => x.events.join() === '1'));
          // Ten streams of one browser connection, each its own HTTP/1.1 request to the instance.
          expect(seenUpstream('h2-crowd')).toEqual(
            Array.from({ length: STREAMS }, () => ({
              topic: 'h2-crowd',
              httpVersion: '1.1',
              proto: 'https',
            })),
          );
        });

        it('over HTTP/1.1, 6 open and the 7th to 10th stay pending until one of the 6 closes', async () => {
          expect(await open(nginx.url, 'h1-crowd')).toBe('http/1.1');
          await untilAll('6 open', (s) => s.filter((x) => x.opened).length === HTTP1_PER_ORIGIN);
          await publish('h1-crowd', 1);
          await untilAll(
            'the event on the 6 open ones',
            (s) => s.filter((x) => x.events.join() === '1').length === HTTP1_PER_ORIGIN,
          );
          // An event went through the 6, and the other 4 have still not opened: never sent at all,
          // the instance saw only the 6.
          const current = await states();
          expect(current.filter((x) => x.readyState === 1 && x.events.join() === '1')).toHaveLength(
            HTTP1_PER_ORIGIN,
          );
          expect(current.filter((x) => !x.opened)).toEqual(
            Array.from({ length: STREAMS - HTTP1_PER_ORIGIN }, () => ({
              opened: false,
              readyState: 0,
              events: [],
            })),
          );
          expect(seenUpstream('h1-crowd')).toHaveLength(HTTP1_PER_ORIGIN);

          // Waiting, not failed: closing 3 of the open ones lets 3 of the waiting ones through.
          await page().evaluate(() =>
            (window as any).streams
              .filter((s: any) => s.opened)
              .slice(0, 3)
              .forEach((s: any) => s.source.close()),
          );
          await untilAll(
            '9 opened (3 of them since closed)',
            (s) => s.filter((x) => x.opened).length === 9,
          );
          await publish('h1-crowd', 2);
          // The 3 first ones still open have both events, the 3 that got through only the second
          // (they opened after the first, without a Last-Event-ID); the 10th still waits.
          await untilAll(
            'the second event on the 6 open ones',
            (s) => s.filter((x) => x.readyState === 1 && x.events.at(-1) === 2).length === 6,
          );
          const after = await states();
          expect(
            after
              .filter((x) => x.readyState === 1)
              .map((x) => x.events.join())
              .sort(),
          ).toEqual(['1,2', '1,2', '1,2', '2', '2', '2']);
          expect(after.filter((x) => !x.opened)).toEqual([
            { opened: false, readyState: 0, events: [] },
          ]);
          expect(seenUpstream('h1-crowd')).toHaveLength(9);
        });
      });
    },
  );
});
