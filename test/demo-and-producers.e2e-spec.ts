import { getRequest, rawClient, responseHeads } from './utils/raw-http.js';
import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

describe('the seed demo and the built-in producers (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_PRODUCERS: 'clock,ticker,system' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /async sends {"val":42}, about a second later {"val":100}, then {"msg":"end"}, and ends', async () => {
    const opened = Date.now();
    const reader = await SseReader.open(`${t.url}/async`);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    const [first] = await reader.framesOf('message', 1);
    const firstAt = Date.now();
    expect(first.data).toBe('{"val":42}');
    expect(firstAt - opened).toBeLessThan(500);
    const all = await reader.framesOf('message', 3, 3000);
    const secondAt = Date.now();
    expect(all.map((f) => f.data)).toEqual(['{"val":42}', '{"val":100}', '{"msg":"end"}']);
    expect(secondAt - firstAt).toBeGreaterThanOrEqual(900);
    expect(secondAt - firstAt).toBeLessThan(2000);
    await reader.waitForEnd(1000);
    expect(reader.raw).toMatch(
      /data: \{"val":42\}\n\n[\s\S]*data: \{"val":100\}\n\n[\s\S]*data: \{"msg":"end"\}\n\n$/,
    );
  });

  it('GET /async answers HTTP/1.0 with Connection: close and an unchunked body, and ends', async () => {
    const client = rawClient(t.url, getRequest(t.url, '/async', { version: '1.0' }));
    await Promise.race([
      client.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 5000)),
    ]);
    const [head] = responseHeads(client.received());
    expect(head.status).toBe(200);
    expect(head.headers.connection).toBe('close');
    expect(head.headers['transfer-encoding']).toBeUndefined();
    expect(client.received()).toMatch(/\r\n\r\ndata: \{"val":42\}\n\n[\s\S]*"msg":"end"\}\n\n$/);
  });

  it('GET /async answers HEAD with its headers and no body', async () => {
    const client = rawClient(t.url, getRequest(t.url, '/async', { method: 'HEAD' }));
    await until(() => responseHeads(client.received()).length === 1, 'the HEAD answer', 5000);
    const [head] = responseHeads(client.received());
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(client.received()).not.toContain('data:');
    client.socket.destroy();
  });

  it('streams clock, ticker and system from the producers on one connection', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=clock&topic=ticker&topic=system`);
    try {
      const [clock] = await reader.framesOf('clock', 1, 3000);
      const [tick] = await reader.framesOf('ticker', 1, 3000);
      const [system] = await reader.framesOf('system', 1, 3000);
      expect(JSON.parse(clock.data)).toEqual({
        iso: expect.any(String),
        epochMs: expect.any(Number),
      });
      expect(Object.keys(JSON.parse(tick.data).prices).length).toBeGreaterThanOrEqual(3);
      expect(JSON.parse(system.data)).toMatchObject({
        instance: expect.any(String),
        connections: expect.any(Number),
        rssBytes: expect.any(Number),
      });
      expect(JSON.parse(system.data).connections).toBeGreaterThanOrEqual(1);
    } finally {
      reader.close();
    }
  });
});
