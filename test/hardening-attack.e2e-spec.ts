import type { Server } from 'node:http';
import { LogCapture } from './utils/log-capture.js';
import { getRequest, rawClient, responseHeads, type RawClient } from './utils/raw-http.js';
import { ADAPTERS, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

/** Stream requests that may wait pipelined on one connection, in these tests. */
const MAX_PIPELINED_STREAMS = 3;

/**
 * Issue 13, attacked again once items 1, 2, 3, 8 and 9 were fixed: what an anonymous client could
 * still do that those fixes missed.
 */

async function openStreams(url: string): Promise<number> {
  const res = await fetch(`${url}/health`);
  return ((await res.json()) as { connections: number }).connections;
}

/** Counts the requests the server has parsed (every pipelined one included). */
function requestCounter(t: TestApp): () => number {
  let count = 0;
  (t.app.getHttpServer() as Server).on('request', () => count++);
  return () => count;
}

function pipelinedStreams(url: string, count: number, prefix: string): string {
  let requests = '';
  for (let i = 0; i < count; i++) {
    requests += getRequest(url, `/events?topic=${prefix}${i}`);
  }
  return requests;
}

describe.each(ADAPTERS)('streams pipelined on one connection (e2e), on %s', (adapter) => {
  let t: TestApp;
  const clients: RawClient[] = [];
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await startApp(
      {
        RIPPLE_ADAPTER: adapter,
        RIPPLE_MAX_CONNECTIONS: '3',
        RIPPLE_MAX_PIPELINED_STREAMS: String(MAX_PIPELINED_STREAMS),
      },
      { logger: logs },
    );
  });
  afterEach(() => {
    for (const client of clients.splice(0)) {
      client.socket.destroy();
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes no connection place for streams waiting behind a stream on the same connection', async () => {
    const parsed = requestCounter(t);
    // A stream, and as many as may wait pipelined behind it: answered only when it ends.
    const count = 1 + MAX_PIPELINED_STREAMS;
    const attacker = rawClient(t.url, pipelinedStreams(t.url, count, 'pipe'));
    clients.push(attacker);
    await until(() => attacker.received().includes('retry:'), 'the first stream', 10_000);
    await until(() => parsed() >= count, 'the server to parse the pipelined requests', 10_000);
    await until(async () => (await openStreams(t.url)) === 1, 'one open stream', 10_000).catch(
      async (err: Error) => {
        throw new Error(`${err.message}: ${await openStreams(t.url)} open`);
      },
    );

    // Two places are left for everyone else (before: the pipelined streams held them, 503).
    const other = rawClient(t.url, getRequest(t.url, '/events?topic=other'));
    clients.push(other);
    await until(() => responseHeads(other.received()).length === 1, 'the other stream', 10_000);
    expect(responseHeads(other.received())[0].status).toBe(200);

    attacker.socket.destroy();
    await until(async () => (await openStreams(t.url)) === 1, 'only the other stream', 10_000);
  });

  it('answers a stream pipelined behind a HEAD in its turn', async () => {
    const client = rawClient(
      t.url,
      getRequest(t.url, '/events?topic=a', { method: 'HEAD' }) +
        getRequest(t.url, '/events?topic=b'),
    );
    clients.push(client);
    await until(
      () => responseHeads(client.received()).length === 2 && client.received().includes('retry:'),
      'the HEAD and the stream behind it',
      10_000,
    );
    expect(responseHeads(client.received()).map((head) => head.status)).toEqual([200, 200]);
    expect(await openStreams(t.url)).toBe(1);
  });

  it('closes a connection that pipelines hundreds of streams, and holds nothing for them', async () => {
    const attacker = rawClient(t.url, pipelinedStreams(t.url, 300, 'flood'));
    clients.push(attacker);
    // Before: the connection stayed open with every stream it asked for registered.
    await attacker.closed;
    await until(async () => (await openStreams(t.url)) === 0, 'no open stream', 10_000);
    // Nor a line each in the log (before, on Fastify: "Premature close" for every one of them).
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  });
});

describe.each(ADAPTERS)('a stream request with a body (e2e), on %s', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter, RIPPLE_HEARTBEAT_MS: '60000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives the place back when its client leaves, its body unread', async () => {
    const clients: RawClient[] = [];
    for (let i = 0; i < 5; i++) {
      const client = rawClient(
        t.url,
        getRequest(t.url, '/events?topic=body', { headers: { 'Content-Length': '10000000' } }),
      );
      // More than the request's buffer holds: Node stops reading a socket whose body nobody reads.
      client.socket.write(Buffer.alloc(200_000, 'a'));
      clients.push(client);
    }
    for (const client of clients) {
      await until(() => client.received().includes('retry:'), 'the stream', 10_000);
    }
    expect(await openStreams(t.url)).toBe(5);
    for (const client of clients) {
      client.socket.destroy();
    }
    // Before: the 5 streams stayed open, their places held, until a heartbeat failed (60 s here).
    await until(async () => (await openStreams(t.url)) === 0, 'no open stream', 10_000);
  });
});

describe.each(ADAPTERS)("requests Node's parser refuses (e2e), on %s", (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_ADAPTER: adapter });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['a bad header', 'GET /events?topic=a HTTP/1.1\r\nHost x\r\n\r\n', 400],
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400],
    [
      'Transfer-Encoding with Content-Length',
      'POST /events/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'oversized headers',
      `GET /events?topic=a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
  ])(
    'answers %s with a JSON body and an X-Request-Id, and closes',
    async (_what, request, status) => {
      const client = rawClient(t.url, request);
      // Before: a bare status line (`HTTP/1.1 400 Bad Request`, `Connection: close`), no id, no body.
      await client.closed;
      const raw = client.received();
      const [head] = responseHeads(raw);
      expect(head.status).toBe(status);
      expect(head.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(head.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
        statusCode: status,
        error: expect.any(String),
        message: expect.any(String),
      });
      expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
    },
  );

  it('answers an HTTP/1.1 request without Host with a JSON 400 and an X-Request-Id, and closes', async () => {
    const client = rawClient(t.url, 'GET /events?topic=a HTTP/1.1\r\n\r\n');
    // Before: Node's bare 400 (`Connection: close`, an empty chunked body), no id.
    await client.closed;
    const raw = client.received();
    const [head] = responseHeads(raw);
    expect(head.status).toBe(400);
    expect(head.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(head.headers.connection).toBe('close');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/Host/),
    });
  });

  it('still answers HTTP/1.0 without Host', async () => {
    const client = rawClient(t.url, 'GET /health/live HTTP/1.0\r\n\r\n');
    await client.closed;
    expect(responseHeads(client.received())[0].status).toBe(200);
  });

  it('answers an Expect it does not support with a JSON 417 and an X-Request-Id', async () => {
    const client = rawClient(t.url, getRequest(t.url, '/topics', { headers: { Expect: 'magic' } }));
    try {
      await until(() => client.received().endsWith('}'), 'the answer', 10_000);
      const raw = client.received();
      const [head] = responseHeads(raw);
      // Before: Node's bare 417, no id, an empty body.
      expect(head.status).toBe(417);
      expect(head.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
        statusCode: 417,
        message: expect.any(String),
      });
    } finally {
      client.socket.destroy();
    }
  });
});
