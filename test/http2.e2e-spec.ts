/*
 * The service on Fastify's HTTP/2 (RIPPLE_HTTP2=true): what HTTP/2 changes about a stream. Its
 * streaming and resume run in events.e2e-spec.ts, its limits, write deadline and maximum age in
 * flow.e2e-spec.ts (on fastify-h2c beside both adapters); here: one
 * session for every stream of a client, flow control per stream (a stream its client stops reading
 * is dropped within the bound while the session's other streams get every event), a place freed
 * by one stream's reset, the maximum age on one session, the drain, HEAD, the session's
 * connection deadline, and TLS (what browsers speak: h2 by ALPN, HTTP/1.1 still served).
 */
import http2, { type ClientHttp2Stream, type Http2Server } from 'node:http2';
import { get as httpsGet } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SseHub } from '../src/sse/index.js';
import { forgetH2cOrigin, h2cRequest } from './utils/h2c.js';
import { describeWithOpenssl, selfSignedCertificate } from './utils/self-signed.js';
import { SseReader } from './utils/sse-reader.js';
import { stalledClient } from './utils/stalled-client.js';
import { platformEnv, post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const H2C = platformEnv('fastify-h2c');

/** A stream of the origin's session that reads its opening, then is paused (stalledClient). */
async function stalledStream(url: string, path: string) {
  const stalled = await stalledClient(url, path);
  const stream = stalled.socket as ClientHttp2Stream;
  return {
    stream,
    received: stalled.received,
    /** Reads what is waiting, to the end or the reset. */
    drain: async () => {
      stream.resume();
      await until(() => stream.destroyed || stream.readableEnded, 'the stalled stream to close');
    },
  };
}

/** The `id:` of the last whole frame in `text`, and the `seq` of the `big` events in it. */
function framesIn(text: string): { lastId: string; seqs: number[] } {
  const frames = text.split('\n\n');
  frames.pop();
  const ids = frames.flatMap((frame) => [...frame.matchAll(/^id: (.*)$/gm)].map((m) => m[1]));
  const seqs = frames
    .filter((frame) => frame.includes('event: big'))
    .map((frame) => (JSON.parse(/^data: (.*)$/m.exec(frame)![1]) as { seq: number }).seq);
  return { lastId: ids.at(-1) ?? '', seqs };
}

describe('Ripple over HTTP/2 (h2c, e2e)', () => {
  let t: TestApp | undefined;
  const readers: SseReader[] = [];
  afterEach(async () => {
    readers.splice(0).forEach((r) => r.close());
    await t?.close();
    t = undefined;
  });
  const open = async (app: TestApp, path: string, headers: Record<string, string> = {}) => {
    const reader = await SseReader.open(`${app.url}${path}`, headers);
    readers.push(reader);
    return reader;
  };

  it("puts every stream and publish of one client on one session, each stream's events its own", async () => {
    t = await startApp(H2C);
    const app = t;
    let sessions = 0;
    (app.app.getHttpServer() as unknown as Http2Server).on('session', () => sessions++);
    const topics = ['s.a', 's.b', 's.c', 's.a', 's.b', 's.c', 's.a', 's.b', 's.c', 's.a'];
    const streams = await Promise.all(topics.map((topic) => open(app, `/events?topic=${topic}`)));
    await Promise.all(streams.map((r) => r.framesOf('retry', 1)));
    for (const topic of ['s.a', 's.b', 's.c']) {
      expect((await post(`${app.url}/events/${topic}`, { data: topic })).status).toBe(201);
    }
    for (const [i, reader] of streams.entries()) {
      const [event] = await reader.framesOf(topics[i], 1);
      expect(event.data).toBe(JSON.stringify(topics[i]));
      expect(reader.frames.map((f) => f.type)).toEqual(['retry', topics[i]]);
    }
    // Ten streams and three publishes: one connection, at the server as at the client.
    expect(sessions).toBe(1);
    // At most RIPPLE_HTTP2_MAX_STREAMS (128) at once, as the server told the client.
    expect(streams[0].stream?.session?.remoteSettings.maxConcurrentStreams).toBe(128);
    expect(new Set(streams.map((r) => r.stream?.session)).size).toBe(1);
    expect(app.app.get(SseHub).connectionCount).toBe(10);
  });

  it("drops a stream its client stops reading within the bound; the same session's other streams get every event, and it resumes losslessly", async () => {
    t = await startApp({ ...H2C, RIPPLE_MAX_BUFFER_BYTES: String(64 * 1024) });
    const app = t;
    const hub = app.app.get(SseHub);
    const reading = await open(app, '/events?topic=big');
    await reading.framesOf('retry', 1);
    const stalled = await stalledStream(app.url, '/events?topic=big');
    expect(stalled.stream.session).toBe(reading.stream?.session);
    const pad = 'x'.repeat(10 * 1024);
    const acked: number[] = [];
    for (let seq = 0; hub.connectionCount === 2; seq++) {
      if (seq > 2000) {
        throw new Error('the stalled stream was never dropped');
      }
      expect((await post(`${app.url}/events/big`, { data: { seq, pad } })).status).toBe(201);
      acked.push(seq);
    }
    // Dropped (reset), not ended; the session and its other streams go on.
    await until(() => stalled.stream.rstCode !== undefined, 'the reset of the stalled stream');
    for (let seq = acked.length; seq < acked.length + 20; seq++) {
      expect((await post(`${app.url}/events/big`, { data: { seq, pad } })).status).toBe(201);
    }
    for (let n = acked.length, seq = n; seq < n + 20; seq++) {
      acked.push(seq);
    }
    const got = await reading.framesOf('big', acked.length, 10_000);
    expect(got.map((f) => (JSON.parse(f.data) as { seq: number }).seq)).toEqual(acked);
    // What reached the stalled stream, then the rest from its cursor: all, in order, once.
    await stalled.drain();
    const before = framesIn(stalled.received());
    const resumed = await open(app, '/events?topic=big', { 'last-event-id': before.lastId });
    const after = await resumed.framesOf('big', acked.length - before.seqs.length, 10_000);
    expect(resumed.frames.some((f) => f.type === 'ripple.reset')).toBe(false);
    expect([
      ...before.seqs,
      ...after.map((f) => (JSON.parse(f.data) as { seq: number }).seq),
    ]).toEqual(acked);
    expect(resumed.stream?.session).toBe(reading.stream?.session);
  });

  it('answers the stream past RIPPLE_MAX_CONNECTIONS with 503 on the same session, and frees a place when a stream closes', async () => {
    t = await startApp({ ...H2C, RIPPLE_MAX_CONNECTIONS: '3' });
    const app = t;
    const three = await Promise.all([1, 2, 3].map(() => open(app, '/events?topic=l')));
    await Promise.all(three.map((r) => r.framesOf('retry', 1)));
    const fourth = await h2cRequest(`${app.url}/events?topic=l`);
    expect(fourth.status).toBe(503);
    expect(fourth.headers['retry-after']).toBe('5');
    expect(JSON.parse(fourth.text)).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/maximum of 3 streams/),
    });
    // Its client closes one stream (RST_STREAM), not the connection.
    three[0].close();
    await until(() => app.app.get(SseHub).connectionCount === 2, 'the closed stream to end');
    const again = await open(app, '/events?topic=l');
    await again.framesOf('retry', 1);
    expect(again.status).toBe(200);
    expect(again.stream?.session).toBe(three[1].stream?.session);
  });

  it('ends a stream at RIPPLE_MAX_CONNECTION_AGE_MS (END_STREAM) and the client resumes on the same session', async () => {
    t = await startApp({ ...H2C, RIPPLE_MAX_CONNECTION_AGE_MS: '400' });
    const app = t;
    const reader = await open(app, '/events?topic=age');
    await reader.framesOf('retry', 1);
    // Kept: a closed stream forgets its session.
    const session = reader.stream?.session;
    await post(`${app.url}/events/age`, { data: 1 });
    await reader.framesOf('age', 1);
    await reader.waitForEnd(2000);
    expect(reader.stream?.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await post(`${app.url}/events/age`, { data: 2 });
    const again = await open(app, '/events?topic=age', { 'last-event-id': reader.cursor });
    expect((await again.framesOf('age', 1)).map((f) => f.data)).toEqual(['2']);
    expect(again.stream?.session).toBe(session);
  });

  it('answers HEAD with the headers of a stream and an ended stream, holding nothing', async () => {
    t = await startApp(H2C);
    const head = await h2cRequest(`${t.url}/events?topic=h`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(head.headers.connection).toBeUndefined();
    expect(head.text).toBe('');
    expect(t.app.get(SseHub).connectionCount).toBe(0);
  });

  it('cuts a session that opens no stream within RIPPLE_HEADERS_TIMEOUT_MS, not one whose stream lasts longer', async () => {
    t = await startApp({ ...H2C, RIPPLE_HEADERS_TIMEOUT_MS: '300' });
    const app = t;
    const reader = await open(app, '/events?topic=ht');
    await reader.framesOf('retry', 1);
    const idle = http2.connect(app.url);
    idle.on('error', () => undefined);
    const idleClosed = new Promise<number>((resolve) => {
      const started = Date.now();
      idle.on('close', () => resolve(Date.now() - started));
    });
    expect(await idleClosed).toBeLessThan(2000);
    // Past the deadline many times over, the stream's session is still there.
    await new Promise((resolve) => setTimeout(resolve, 900));
    await post(`${app.url}/events/ht`, { data: 'still here' });
    expect((await reader.framesOf('ht', 1))[0].data).toBe('"still here"');
    expect(reader.ended).toBe(false);
  });

  it('drains at shutdown: every stream ends whole (END_STREAM), then the session closes', async () => {
    const app = await startApp({ ...H2C, RIPPLE_DRAIN_MS: '300' });
    const streams = await Promise.all(
      Array.from({ length: 20 }, () => SseReader.open(`${app.url}/events?topic=drain`)),
    );
    await Promise.all(streams.map((r) => r.framesOf('retry', 1)));
    const session = streams[0].stream!.session!;
    const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    await app.app.close();
    await until(() => streams.every((r) => r.ended), 'every stream to end', 3000);
    expect(streams.every((r) => r.stream?.rstCode === http2.constants.NGHTTP2_NO_ERROR)).toBe(true);
    expect(streams.every((r) => r.raw.endsWith('\n\n'))).toBe(true);
    await sessionClosed;
    forgetH2cOrigin(app.url);
  });
});

describeWithOpenssl('Ripple over HTTP/2 with TLS (e2e)', () => {
  let dir: string;
  let t: TestApp;
  let ca: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ripple-h2-tls-'));
    const tls = await selfSignedCertificate(dir);
    ca = await readFile(tls.cert);
    t = await startApp({
      ...H2C,
      RIPPLE_TLS_CERT: tls.cert,
      RIPPLE_TLS_KEY: tls.key,
      RIPPLE_HTTP2_MAX_STREAMS: '8',
    });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves h2 by ALPN, streams of one session, and still HTTP/1.1 to a client that offers only that', async () => {
    const origin = t.url.replace('http:', 'https:');
    const session = http2.connect(origin, { ca });
    const settings = new Promise<http2.Settings>((resolve) =>
      session.once('remoteSettings', resolve),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
      });
      expect(session.alpnProtocol).toBe('h2');
      expect((await settings).maxConcurrentStreams).toBe(8);
      const texts = ['', ''];
      const streams = texts.map((_, i) => {
        const stream = session.request({ ':path': '/events?topic=tls' });
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (texts[i] += chunk));
        return stream;
      });
      await until(() => texts.every((text) => text.includes('retry:')), 'both openings');
      // node:https offers no ALPN: the server falls back to HTTP/1.1 (allowHTTP1).
      const http1 = await new Promise<{ status: number; version: string }>((resolve, reject) => {
        const req = httpsGet(`${origin}/events?topic=tls`, { ca }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('retry:')) {
              res.destroy();
              resolve({ status: res.statusCode ?? 0, version: res.httpVersion });
            }
          });
        });
        req.on('error', reject);
      });
      expect(http1).toEqual({ status: 200, version: '1.1' });
      await t.app.get(SseHub).publish('tls', { text: 'over tls' });
      await until(
        () => texts.every((text) => text.includes('data: {"text":"over tls"}')),
        'the event on both h2 streams',
      );
      streams.forEach((stream) => stream.close());
    } finally {
      session.destroy();
    }
  });
});
