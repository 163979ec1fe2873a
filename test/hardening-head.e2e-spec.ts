import type { AddressInfo } from 'node:net';
import {
  BadRequestException,
  Controller,
  Get,
  Module,
  Query,
  type MessageEvent,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { map, type Observable } from 'rxjs';
import { configureApp } from '../src/app.setup.js';
import { RippleSse, SseHub, SseModule } from '../src/sse/index.js';
import { describeWithNginx, startNginx, type Nginx } from './utils/nginx.js';
import { getRequest, rawClient, responseHeads, type RawClient } from './utils/raw-http.js';
import { ADAPTERS, post, startApp, testConfig, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

/**
 * Issue 13, item 2: HEAD on a stream route gets the headers and an ended response (and what is
 * pipelined behind it is answered); HTTP/1.0 and `Connection: close` get `Connection: close` and
 * a body framed as their connection allows.
 */

/** Waits for `count` responses on the raw connection, the last one complete up to `endMark`. */
async function answers(client: RawClient, count: number, endMark: string, what: string) {
  await until(
    () => responseHeads(client.received()).length >= count && client.received().endsWith(endMark),
    what,
    10_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; received: ${JSON.stringify(client.received().slice(0, 600))}`);
  });
  return responseHeads(client.received());
}

/** A HEAD of `path`, then a GET of /health on the same connection, sent together. */
async function headThenHealth(url: string, path: string) {
  const client = rawClient(
    url,
    getRequest(url, path, { method: 'HEAD' }) + getRequest(url, '/health/live'),
  );
  try {
    const heads = await answers(client, 2, '}', `the HEAD of ${path} and the pipelined GET`);
    // Nothing but the two answers: no frame after the HEAD's headers.
    const raw = client.received();
    const between = raw.slice(raw.indexOf('\r\n\r\n') + 4, raw.lastIndexOf('HTTP/1.1 '));
    return { heads, between };
  } finally {
    client.socket.destroy();
  }
}

describe.each(ADAPTERS)(
  'HEAD, HTTP/1.0 and Connection: close on /events (e2e), on %s',
  (adapter) => {
    let t: TestApp;
    let hub: SseHub;

    beforeAll(async () => {
      // Streams end after 1.5 s, so that a test can see how the server ends each kind of response.
      t = await startApp({ RIPPLE_ADAPTER: adapter, RIPPLE_MAX_CONNECTION_AGE_MS: '1500' });
      hub = t.app.get(SseHub);
    });
    afterAll(async () => {
      await t.close();
    });

    it('answers HEAD with the stream headers, no body, and then the request pipelined behind it', async () => {
      const { heads, between } = await headThenHealth(t.url, '/events?topic=head');
      expect(heads[0].status).toBe(200);
      expect(heads[0].headers['content-type']).toMatch(/^text\/event-stream/);
      expect(heads[0].headers['cache-control']).toBe('no-cache, no-transform');
      expect(between).toBe('');
      expect(heads[1].status).toBe(200);
      await until(() => hub.connectionCount === 0, 'no stream left by the HEAD');
    });

    it('answers HEAD with the status a GET would get for bad input, and no body', async () => {
      const { heads, between } = await headThenHealth(t.url, '/events?topic=bad%20name');
      expect(heads[0].status).toBe(400);
      expect(between).toBe('');
      expect(heads[1].status).toBe(200);
    });

    it('answers HTTP/1.0 with Connection: close and a raw body that ends with the connection', async () => {
      const client = rawClient(t.url, getRequest(t.url, '/events?topic=old', { version: '1.0' }));
      await until(
        () => client.received().includes('retry:'),
        'the HTTP/1.0 stream to open',
        10_000,
      );
      const [head] = responseHeads(client.received());
      expect(head.status).toBe(200);
      expect(head.headers.connection).toBe('close');
      expect(head.headers['transfer-encoding']).toBeUndefined();
      await post(`${t.url}/events/old`, { data: 'hello' });
      await until(() => client.received().includes('data: "hello"'), 'the event', 10_000);
      // Unchunked: the frame follows the headers as it is.
      expect(client.received()).toMatch(/\r\n\r\n(id: [^\n]*\n)?retry: \d+\n/);
      // The stream ends (max age) and the server closes the connection, which ends the body.
      await Promise.race([
        client.closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 10_000)),
      ]);
    });

    it('answers Connection: close with Connection: close and closes once the stream ends', async () => {
      const client = rawClient(
        t.url,
        getRequest(t.url, '/events?topic=closing', { headers: { Connection: 'close' } }),
      );
      await until(() => client.received().includes('retry:'), 'the stream to open', 10_000);
      const [head] = responseHeads(client.received());
      expect(head.status).toBe(200);
      expect(head.headers.connection).toBe('close');
      expect(head.headers['transfer-encoding']).toBe('chunked');
      await Promise.race([
        client.closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 10_000)),
      ]);
      expect(client.received().endsWith('0\r\n\r\n')).toBe(true);
    });

    it('keeps answering HTTP/1.1 keep-alive streams with Connection: keep-alive', async () => {
      const client = rawClient(t.url, getRequest(t.url, '/events?topic=kept'));
      try {
        await until(() => client.received().includes('retry:'), 'the stream to open', 10_000);
        expect(responseHeads(client.received())[0].headers.connection).toBe('keep-alive');
      } finally {
        client.socket.destroy();
      }
    });
  },
);

/** Routes a user would write (as in ripple-sse.e2e-spec.ts), and one that refuses at subscription. */
@Controller('custom')
class CustomStreamsController {
  constructor(private readonly hub: SseHub) {}

  @RippleSse('as-is')
  asIs(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub.stream([topic]);
  }

  @RippleSse('upper')
  upper(@Query('topic') topic: string): Observable<MessageEvent> {
    return this.hub
      .stream([topic])
      .pipe(map((m) => (typeof m.data === 'string' ? { ...m, data: m.data.toUpperCase() } : m)));
  }

  @RippleSse('later')
  async later(@Query('topic') topic: string): Promise<Observable<MessageEvent>> {
    await new Promise((resolve) => setImmediate(resolve));
    return this.hub.stream([topic]);
  }

  @RippleSse('refuses')
  refuses(): Observable<MessageEvent> {
    throw new BadRequestException('no');
  }
}

@Controller('health')
class HealthController {
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}

@Module({
  imports: [SseModule.forRoot({ drainMs: 0 })],
  controllers: [CustomStreamsController, HealthController],
})
class CustomStreamsModule {}

describe('HEAD on @RippleSse() routes of your own (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;
  let hub: SseHub;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CustomStreamsModule] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({
      forceCloseConnections: true,
      logger: ['error', 'warn'],
    });
    configureApp(app, testConfig());
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    hub = app.get(SseHub);
  });
  afterAll(async () => {
    await app.close();
  });

  it.each(['as-is', 'upper', 'later'])(
    'answers HEAD /custom/%s with the headers and then the pipelined request',
    async (route) => {
      const { heads, between } = await headThenHealth(url, `/custom/${route}?topic=mine`);
      expect(heads[0].status).toBe(200);
      expect(heads[0].headers['content-type']).toMatch(/^text\/event-stream/);
      expect(between).toBe('');
      expect(heads[1].status).toBe(200);
      await until(() => hub.connectionCount === 0, 'no stream left by the HEAD');
    },
  );

  it('answers HEAD with the 4xx the route refuses with, and then the pipelined request', async () => {
    const { heads, between } = await headThenHealth(url, '/custom/refuses');
    expect(heads[0].status).toBe(400);
    expect(between).toBe('');
    expect(heads[1].status).toBe(200);
  });
});

describeWithNginx('HEAD on /events through deploy/nginx/ripple.conf (e2e)', () => {
  let apps: TestApp[] = [];
  let nginx: Nginx;

  beforeAll(async () => {
    apps = await Promise.all([startApp(), startApp()]);
    const ports = apps.map((t) => Number(new URL(t.url).port));
    nginx = await startNginx([ports[0], ports[1]]);
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(apps.map((t) => t.close()));
  });

  it("answers anonymous HEADs and then other users' requests on the kept-alive upstream connections", async () => {
    const timed = (path: string, method: string) =>
      fetch(`${nginx.url}${path}`, { method, signal: AbortSignal.timeout(5000) }).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status;
        },
      );
    // curl -I, repeatedly, then ordinary requests that reuse nginx's upstream connections.
    const heads = await Promise.all(
      Array.from({ length: 10 }, () => timed('/events?topic=proxied', 'HEAD')),
    );
    expect(heads).toEqual(Array(10).fill(200));
    const others = await Promise.all(
      Array.from({ length: 20 }, () => timed('/health/live', 'GET')),
    );
    expect(others).toEqual(Array(20).fill(200));
    await until(
      () => apps.every((t) => t.app.get(SseHub).connectionCount === 0),
      'no stream left by the HEADs',
    );
  });
});
