import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Body, Controller, Post, type DynamicModule, type Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { SseHub, SseModule } from '../src/sse/index.js';
import { SseReader } from './utils/sse-reader.js';
import { createFastifyAdapter } from '../src/http/fastify-adapter.js';
import { ADAPTERS, post, type Adapter } from './utils/test-app.js';

/**
 * SseModule in plain host apps, as a library user builds them: no configureApp(), no global
 * filter; Nest's default body parser (100 kB) unless a test turns it off or replaces it.
 */
interface Host {
  app: NestExpressApplication;
  url: string;
}

const hosts: Host[] = [];
const readers: SseReader[] = [];

async function startHost(
  imports: (DynamicModule | Type)[],
  options: {
    bodyParser?: boolean;
    prefix?: string;
    controllers?: Type[];
    setup?: (app: NestExpressApplication) => void;
    /** Express (the default), or Fastify with its own default options. */
    adapter?: Adapter;
  } = {},
): Promise<Host> {
  const moduleRef = await Test.createTestingModule({
    imports,
    controllers: options.controllers ?? [],
  }).compile();
  const appOptions = {
    forceCloseConnections: true,
    bodyParser: options.bodyParser ?? true,
    logger: ['error', 'warn'] as ('error' | 'warn')[],
  };
  const app =
    options.adapter === 'fastify'
      ? moduleRef.createNestApplication<NestExpressApplication>(
          await createFastifyAdapter({}),
          appOptions,
        )
      : moduleRef.createNestApplication<NestExpressApplication>(appOptions);
  if (options.prefix) {
    app.setGlobalPrefix(options.prefix);
  }
  options.setup?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = { app, url: `http://127.0.0.1:${port}` };
  hosts.push(host);
  return host;
}

async function open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, headers);
  readers.push(reader);
  expect(reader.status).toBe(200);
  // The opening frame (retry and the starting cursor) marks the stream as joined.
  await reader.framesOf('retry', 1);
  return reader;
}

/** The module's refusal: its status and JSON shape, with a message that says why. */
function expectRefusal(res: { status: number; body: unknown }, status: number, words: RegExp) {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { statusCode: status, error: expect.any(String), message: expect.stringMatching(words) },
  });
}

/** A body sent in chunks, with no Content-Length: only counting what arrives can stop it. */
function postChunked(url: string, chunks: string[]): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    // The server may answer and stop reading before the last chunk is written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const payload = (bytes: number) => ({ data: 'x'.repeat(bytes - 2) }); // + 2 quotes = bytes of JSON

afterEach(() => {
  readers.splice(0).forEach((reader) => reader.close());
});
afterAll(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.app.close()));
});

describe.each(ADAPTERS)('SseModule without routes (the default), on %s', (adapter) => {
  it.each([
    ['not given', SseModule.forRoot({ drainMs: 0 })],
    ['false', SseModule.forRoot({ drainMs: 0, routes: false })],
  ])('mounts no route when routes is %s, and the hub still serves', async (_name, module) => {
    const { app, url } = await startHost([module], { adapter });
    expect((await fetch(`${url}/events?topic=a`)).status).toBe(404);
    expect((await fetch(`${url}/topics`)).status).toBe(404);
    expect((await post(`${url}/events/a`, { data: 1 })).status).toBe(404);
    expect((await post(`${url}/a`, { data: 1 })).status).toBe(404);
    await expect(app.get(SseHub).publish('a', 1)).resolves.toMatchObject({ topic: 'a' });
  });
});

describe.each(ADAPTERS)("SseModule with routes: { path: 'live' }, on %s", (adapter) => {
  const APP = 'https://app.example';
  let url: string;

  beforeAll(async () => {
    ({ url } = await startHost(
      [SseModule.forRoot({ drainMs: 0, corsOrigins: [APP], routes: { path: '/live/' } })],
      { adapter },
    ));
  });

  it('streams, publishes and resumes under the path, and nothing under /events', async () => {
    const first = await open(`${url}/live?topic=news`);
    const published = await post(`${url}/live/news`, { data: 'one', type: 'headline' });
    expect(published).toEqual({ status: 201, body: { topic: 'news', id: expect.any(String) } });
    await first.framesOf('headline', 1);
    const cursor = first.cursor;
    first.close();
    expect((await post(`${url}/live/news`, { data: 'two', type: 'headline' })).status).toBe(201);
    const again = await open(`${url}/live?topic=news`, { 'last-event-id': cursor });
    expect((await again.framesOf('headline', 1)).map((frame) => frame.data)).toEqual(['"two"']);

    expect((await fetch(`${url}/events?topic=news`)).status).toBe(404);
    expect((await post(`${url}/events/news`, { data: 1 })).status).toBe(404);
  });

  it('lists the topics at <path>/topics, and still publishes to a topic named topics', async () => {
    expect((await post(`${url}/live/listed`, { data: 1 })).status).toBe(201);
    const list = await fetch(`${url}/live/topics`);
    expect(list.status).toBe(200);
    const body = (await list.json()) as { topics: { topic: string }[] };
    expect(body.topics.map((entry) => entry.topic)).toContain('listed');
    expect(await post(`${url}/live/topics`, { data: 1 })).toMatchObject({
      status: 201,
      body: { topic: 'topics' },
    });
    expect((await fetch(`${url}/topics`)).status).toBe(404);
  });

  it('applies CORS on the stream and publish routes at the path, not on the list', async () => {
    const preflight = await fetch(`${url}/live/news`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    const stream = await fetch(`${url}/live?topic=news`, { headers: { origin: APP } });
    expect(stream.headers.get('access-control-allow-origin')).toBe(APP);
    await stream.body?.cancel();
    const list = await fetch(`${url}/live/topics`, { headers: { origin: APP } });
    expect(list.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await fetch(`${url}/live/news`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expectRefusal(
      { status: refused.status, body: await refused.json() },
      403,
      /not among the allowed CORS origins/,
    );
  });

  it("answers the module's own refusals as JSON with no global filter", async () => {
    expectRefusal(await fetch(`${url}/live`).then(json), 400, /at least one topic/);
    expectRefusal(
      await post(`${url}/live/news`, '{"data": 1}', { 'content-type': 'text/plain' }),
      415,
      /must be JSON/,
    );
    expectRefusal(await post(`${url}/live/news`, '{"data": '), 400, /not valid JSON/);
    expectRefusal(await post(`${url}/live/news`, { nodata: 1 }), 400, /Unknown field/);
  });
});

describe('publish bodies in a host app created with bodyParser: false', () => {
  let url: string;

  beforeAll(async () => {
    ({ url } = await startHost([SseModule.forRoot({ drainMs: 0, routes: { path: 'live' } })], {
      bodyParser: false,
    }));
  });

  it('takes a 200 KB payload and one at the 1 MiB limit; refuses 1 MiB + 1 with a JSON 413', async () => {
    expect((await post(`${url}/live/big`, payload(200 * 1024))).status).toBe(201);
    expect((await post(`${url}/live/big`, payload(1024 * 1024))).status).toBe(201);
    expectRefusal(
      await post(`${url}/live/big`, payload(1024 * 1024 + 1)),
      413,
      /1048577 bytes of JSON, more than the limit of 1048576/,
    );
  });

  it('refuses a body past the limit before reading it, or as it arrives when unannounced', async () => {
    expectRefusal(
      await post(`${url}/live/big`, payload(2 * 1024 * 1024)),
      413,
      /body is larger than the limit of 1114112 bytes/,
    );
    const chunk = 'x'.repeat(256 * 1024);
    expectRefusal(
      await postChunked(`${url}/live/big`, ['{"data": "', ...Array(8).fill(chunk), '"}']),
      413,
      /body is larger than the limit of 1114112 bytes/,
    );
    expect((await postChunked(`${url}/live/big`, ['{"da', 'ta": ', '"ok"}'])).status).toBe(201);
  });

  it('parses application/*+json, refuses other media types, encodings and charsets', async () => {
    const vnd = { 'content-type': 'application/vnd.api+json; charset=utf-8' };
    expect((await post(`${url}/live/media`, { data: 1 }, vnd)).status).toBe(201);
    expectRefusal(
      await post(`${url}/live/media`, 'data=1', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
      /must be JSON/,
    );
    const gzipped = await fetch(`${url}/live/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"data": 1}'),
    });
    expectRefusal(
      { status: gzipped.status, body: await gzipped.json() },
      415,
      /Content-Encoding "gzip" is not supported/,
    );
    expectRefusal(
      await post(
        `${url}/live/media`,
        { data: 1 },
        { 'content-type': 'application/json; charset=latin1' },
      ),
      415,
      /Charset "latin1" is not supported/,
    );
  });

  it('refuses malformed JSON and an empty body with a JSON 400', async () => {
    expectRefusal(await post(`${url}/live/news`, '{"data": '), 400, /not valid JSON/);
    expectRefusal(await post(`${url}/live/news`, ''), 400, /must be a JSON object/);
  });
});

@Controller('orders')
class HostOrdersController {
  @Post()
  create(@Body() body: unknown): unknown {
    return body;
  }
}

describe("publish bodies through the host's default JSON parser (100 kB)", () => {
  let url: string;

  beforeAll(async () => {
    ({ url } = await startHost([SseModule.forRoot({ drainMs: 0, routes: { path: 'live' } })], {
      controllers: [HostOrdersController],
    }));
  });

  it('takes what the host parsed, and checks it as its own', async () => {
    expect((await post(`${url}/live/news`, { data: 'parsed by the host' })).status).toBe(201);
    expectRefusal(await post(`${url}/live/news`, { nodata: 1 }), 400, /Unknown field/);
  });

  it("answers the host parser's 413 and 400 on the publish route in the module's shape", async () => {
    expectRefusal(
      await post(`${url}/live/news`, payload(200 * 1024)),
      413,
      /body is larger than the limit of 102400 bytes/,
    );
    expectRefusal(await post(`${url}/live/news`, '{"data": '), 400, /not valid JSON/);
  });

  it("leaves the host's own routes to the host", async () => {
    const large = await post(`${url}/orders`, payload(200 * 1024));
    expect(large.status).toBe(413);
    expect(large.body).not.toHaveProperty(
      'message',
      expect.stringMatching(/larger than the limit/),
    );
    const malformed = await post(`${url}/orders`, '{"data": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).not.toHaveProperty('message', expect.stringMatching(/not valid JSON/));
  });
});

describe("publish bodies through Fastify's own JSON parser (1 MiB)", () => {
  let url: string;

  beforeAll(async () => {
    ({ url } = await startHost([SseModule.forRoot({ drainMs: 0, routes: { path: 'live' } })], {
      controllers: [HostOrdersController],
      adapter: 'fastify',
    }));
  });

  it("answers the parser's 413 and 400 on the publish route in the module's shape", async () => {
    expect((await post(`${url}/live/news`, payload(200 * 1024))).status).toBe(201);
    expectRefusal(
      await post(`${url}/live/news`, payload(1024 * 1024 + 1)),
      413,
      /body is larger than the limit of 1048576 bytes/,
    );
    expectRefusal(await post(`${url}/live/news`, '{"data": '), 400, /not valid JSON/);
  });

  it("leaves the host's own routes to the host", async () => {
    const malformed = await post(`${url}/orders`, '{"data": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).not.toHaveProperty('message', expect.stringMatching(/not valid JSON:/));
  });
});

describe('a Fastify host with its own logger on', () => {
  it('logs nothing for a stream: Fastify never sends the reply Ripple answered', async () => {
    const lines: string[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [SseModule.forRoot({ drainMs: 0, routes: { path: 'live' } })],
    }).compile();
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const adapter = new FastifyAdapter({
      logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } },
    });
    const app = moduleRef.createNestApplication(adapter, {
      forceCloseConnections: true,
      logger: ['error', 'warn'],
    });
    await app.listen(0, '127.0.0.1');
    hosts.push({ app: app as unknown as NestExpressApplication, url: '' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    const reader = await open(`http://127.0.0.1:${port}/live?topic=quiet`);
    expect((await post(`http://127.0.0.1:${port}/live/quiet`, { data: 1 })).status).toBe(201);
    await reader.framesOf('quiet', 1);
    reader.close();
    await reader.waitForEnd().catch(() => undefined);
    // Without the hijacked reply's no-op send(): "Reply was already sent" for every stream.
    expect(lines).toEqual([]);
  });
});

describe('host set-ups', () => {
  it('publishes 200 KB where the host raised its own parser limit (app.useBodyParser)', async () => {
    const { url } = await startHost([SseModule.forRoot({ drainMs: 0, routes: { path: 'live' } })], {
      setup: (app) => app.useBodyParser('json', { limit: '2mb' }),
    });
    expect((await post(`${url}/live/big`, payload(200 * 1024))).status).toBe(201);
    expectRefusal(
      await post(`${url}/live/big`, payload(1024 * 1024 + 1)),
      413,
      /more than the limit of 1048576/,
    );
  });

  it('mounts under a global prefix, and shapes the parser errors there too', async () => {
    const { url } = await startHost([SseModule.forRoot({ drainMs: 0, routes: { path: 'live' } })], {
      prefix: 'api',
    });
    await open(`${url}/api/live?topic=news`);
    expect((await post(`${url}/api/live/news`, { data: 1 })).status).toBe(201);
    expectRefusal(
      await post(`${url}/api/live/news`, payload(200 * 1024)),
      413,
      /larger than the limit of 102400 bytes/,
    );
  });

  it('takes routes beside useFactory in forRootAsync, with a topics path of its own', async () => {
    const { url } = await startHost(
      [
        SseModule.forRootAsync({
          routes: { path: 'stream', topicsPath: 'stream-topics' },
          useFactory: async () => ({ drainMs: 0, historySize: 10 }),
        }),
      ],
      { bodyParser: false },
    );
    const first = await open(`${url}/stream?topic=async`);
    expect((await post(`${url}/stream/async`, { data: 1 })).status).toBe(201);
    await first.framesOf('async', 1);
    const cursor = first.cursor;
    first.close();
    expect((await post(`${url}/stream/async`, { data: 2 })).status).toBe(201);
    const again = await open(`${url}/stream?topic=async`, { 'last-event-id': cursor });
    expect((await again.framesOf('async', 1)).map((frame) => frame.data)).toEqual(['2']);
    expect((await fetch(`${url}/stream-topics`)).status).toBe(200);
    expect((await fetch(`${url}/stream/topics`)).status).toBe(404);
  });
});

async function json(res: Response): Promise<{ status: number; body: unknown }> {
  return { status: res.status, body: await res.json() };
}
