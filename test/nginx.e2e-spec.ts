import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { EventSource } from 'eventsource';
import { SseHub } from '../src/sse/index.js';
import { describeWithNginx, startNginx, type Nginx } from './utils/nginx.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const describeRedis = await describeWithRedis();

/** What an instance was asked, as it saw it (after the proxy). */
interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

describeWithNginx('Ripple behind nginx, configured by deploy/nginx/ripple.conf (e2e)', () => {
  describeRedis('two instances on Redis, one address', () => {
    const prefix = testPrefix('nginx');
    const env = {
      RIPPLE_TRANSPORT: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      RIPPLE_REDIS_PREFIX: prefix,
      RIPPLE_RETRY_MS: '100',
      // Metrics on the main port, so that only ripple.conf keeps them from the public.
      RIPPLE_METRICS_PORT: 'main',
    };
    let apps: TestApp[] = [];
    const closed = new Set<number>();
    const seen: Seen[][] = [[], []];
    let nginx: Nginx;

    beforeAll(async () => {
      apps = await Promise.all([startApp(env), startApp(env)]);
      apps.forEach((t, i) =>
        t.app
          .getHttpServer()
          .on('request', (req: IncomingMessage) =>
            seen[i].push({ url: req.url ?? '', headers: req.headers }),
          ),
      );
      const ports = apps.map((t) => Number(new URL(t.url).port));
      nginx = await startNginx([ports[0], ports[1]]);
    });
    afterAll(async () => {
      await nginx?.stop();
      await Promise.all(apps.filter((_, i) => !closed.has(i)).map((t) => t.close()));
      await dropPrefix(TEST_REDIS_URL, prefix);
    });

    const publish = async (i: number, topic: string, data: unknown) => {
      expect((await post(`${apps[i].url}/events/${topic}`, { data })).status).toBe(201);
    };
    /** nginx's access log lines of requests for `path`, once there are `count` of them. */
    const loggedRequests = async (path: string, count: number): Promise<string[]> => {
      const lines = async () =>
        (await nginx.accessLog()).split('\n').filter((line) => line.includes(` ${path}`));
      await until(async () => (await lines()).length >= count, `${count} log line(s) of ${path}`);
      return lines();
    };
    const servingInstance = (query: string, requestId?: string): number =>
      seen.findIndex((requests) =>
        requests.some(
          (r) =>
            r.url.startsWith(`/events?${query}`) &&
            (requestId === undefined || r.headers['x-request-id'] === requestId),
        ),
      );

    it('keeps /metrics from the public, in any spelling', async () => {
      expect((await fetch(`${apps[0].url}/metrics`)).status).toBe(200);
      for (const path of ['/metrics', '/METRICS', '/metrics/', '/Metrics?x=1']) {
        const res = await fetch(`${nginx.url}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(await res.text()).not.toContain('ripple_');
      }
      // None reached an instance through nginx (the direct request above has no X-Forwarded-For).
      const relayed = seen.flat().filter((r) => r.headers['x-forwarded-for'] !== undefined);
      expect(relayed.filter((r) => /metrics/i.test(r.url))).toEqual([]);
    });

    it('passes each event through at once: no buffering, no compression', async () => {
      // What a browser sends; gzip is on for every type in this nginx (as a site-wide setting
      // would have it), and ripple.conf must keep it off for streams.
      const reader = await SseReader.open(`${nginx.url}/events?topic=live`, {
        'accept-encoding': 'gzip, deflate',
        'x-request-id': 'nginx-e2e-1',
      });
      try {
        expect(reader.status).toBe(200);
        expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
        expect(reader.headers['content-encoding']).toBeUndefined();
        await reader.framesOf('retry', 1);
        const latencies: number[] = [];
        for (let i = 0; i < 20; i++) {
          const sent = performance.now();
          // Published on either instance, straight to it; read through nginx.
          await publish(i % 2, 'live', { i });
          await reader.framesOf('live', i + 1, 2000);
          latencies.push(performance.now() - sent);
        }
        expect(
          reader.frames.filter((f) => f.type === 'live').map((f) => JSON.parse(f.data).i),
        ).toEqual(Array.from({ length: 20 }, (_, i) => i));
        // Publish to receive, through the proxy: a buffering proxy would hold these back.
        expect(Math.max(...latencies)).toBeLessThan(500);
      } finally {
        reader.close();
      }
    });

    it('forwards the request id (the client’s, else its own), the client address and no Connection header', async () => {
      const given = await SseReader.open(`${nginx.url}/events?topic=ids`, {
        'x-request-id': 'nginx-e2e-2',
      });
      const made = await SseReader.open(`${nginx.url}/events?topic=ids2`);
      try {
        expect(given.headers['x-request-id']).toBe('nginx-e2e-2');
        // nginx's $request_id, which Ripple took and echoed.
        const madeId = made.headers['x-request-id'];
        expect(madeId).toMatch(/^[0-9a-f]{32}$/);
        const forwarded = seen[servingInstance('topic=ids', 'nginx-e2e-2')].find(
          (r) => r.headers['x-request-id'] === 'nginx-e2e-2',
        )?.headers;
        expect(forwarded).toMatchObject({ 'x-forwarded-for': '127.0.0.1' });
        expect(forwarded?.connection).toBeUndefined();
        expect(servingInstance('topic=ids2', madeId as string)).toBeGreaterThanOrEqual(0);
      } finally {
        given.close();
        made.close();
      }
      // nginx's own log line, written when the stream ends, has the same id.
      expect(await loggedRequests('/events?topic=ids ', 1)).toEqual([
        expect.stringMatching(/ id=nginx-e2e-2$/),
      ]);
    });

    it('when the instance serving a stream goes away, its client resumes on the other with its Last-Event-ID, missing nothing', async () => {
      const source = new EventSource(`${nginx.url}/events?topic=failover`);
      const got: number[] = [];
      let opens = 0;
      source.addEventListener('open', () => opens++);
      source.addEventListener('failover', (e) => got.push(JSON.parse(e.data) as number));
      try {
        await until(() => opens === 1, 'the stream to open through nginx');
        const serving = apps.findIndex((t) => t.app.get(SseHub).connectionCount === 1);
        expect(serving).toBeGreaterThanOrEqual(0);
        const other = 1 - serving;
        for (let n = 1; n <= 5; n++) {
          await publish(other, 'failover', n);
        }
        await until(() => got.length === 5, 'the first five events');

        // The serving instance shuts down (its streams end, it stops listening), while events
        // keep coming on the other.
        closed.add(serving);
        const closing = apps[serving].close();
        for (let n = 6; n <= 15; n++) {
          await publish(other, 'failover', n);
        }
        await closing;
        await until(() => opens === 2, 'EventSource to reconnect through nginx', 5000);
        for (let n = 16; n <= 20; n++) {
          await publish(other, 'failover', n);
        }
        await until(() => got.length >= 20, 'every event', 5000);
        expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

        // The reconnection reached the other instance, with the cursor of the last event seen.
        const resumed = seen[other].filter((r) => r.url.startsWith('/events?topic=failover'));
        expect(resumed).toHaveLength(1);
        expect(resumed[0].headers['last-event-id']).toMatch(/^failover=\d+-\d+$/);
      } finally {
        source.close();
      }
      // In nginx's log, the second stream is served by the other instance (after the one that
      // had gone, if nginx tried it first).
      const [, second] = await loggedRequests('/events?topic=failover ', 2);
      const port = new URL(apps[1 - [...closed][0]].url).port;
      expect(second).toMatch(new RegExp(`upstream=(\\S+, )?127\\.0\\.0\\.1:${port} `));
    });
  });
});
