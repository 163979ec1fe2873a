import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { EventSource } from 'eventsource';
import { SseHub } from '../src/sse/index.js';
import type { MemoryTransport } from '../src/sse/transport/memory-transport.js';
import { TRANSPORT } from '../src/sse/transport/transport.interface.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('connections come and go cleanly (e2e)', () => {
  let t: TestApp;
  let hub: SseHub;
  let transport: MemoryTransport;

  beforeEach(async () => {
    t = await startApp({ RIPPLE_HEARTBEAT_MS: '200' });
    hub = t.app.get(SseHub);
    transport = t.app.get<MemoryTransport>(TRANSPORT);
  });
  afterEach(async () => {
    await t.close();
  });

  it('leaves no subscription, connection or timer behind when a client disconnects', async () => {
    const baseline = activeTimers();
    const readers = await Promise.all(
      ['a', 'a', 'b'].map((topic) => SseReader.open(`${t.url}/events?topic=${topic}&topic=c`)),
    );
    await Promise.all(readers.map((r) => r.framesOf('retry', 1)));
    expect(hub.connectionCount).toBe(3);
    expect(transport.subscribedTopics.sort()).toEqual(['a', 'b', 'c']);
    // Heartbeats are flowing, so the shared tick is running.
    await readers[0].waitFor((r) => r.comments >= 1, 2000, 'a heartbeat');

    readers.forEach((r) => r.close());
    await until(() => hub.connectionCount === 0, 'the hub to drop the connections');
    await until(() => transport.subscribedTopics.length === 0, 'the topics to be released');
    await until(() => activeTimers() <= baseline, 'the timers to be cleared');
    const topics = (await (await fetch(`${t.url}/topics`)).json()) as {
      topics: { topic: string; subscribers: number }[];
    };
    expect(topics.topics.filter((x) => x.subscribers !== 0)).toEqual([]);
  });

  it('closes the app with streams open, ending them for their clients', async () => {
    const readers = await Promise.all(
      [1, 2, 3].map(() => SseReader.open(`${t.url}/events?topic=open`)),
    );
    await Promise.all(readers.map((r) => r.framesOf('retry', 1)));
    const started = Date.now();
    await t.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await Promise.all(readers.map((r) => r.waitForEnd(2000)));
    expect(hub.connectionCount).toBe(0);
    // A second close from afterEach must be harmless.
  });
});

describe('a spec-compliant EventSource from npm (e2e)', () => {
  let t: TestApp;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    t = await startApp({ RIPPLE_RETRY_MS: '50' });
    // The sockets of streams only: the test's own publishes keep their pooled connections.
    t.app.getHttpServer().on('request', (req: IncomingMessage) => {
      if (req.url?.startsWith('/events?')) {
        sockets.add(req.socket);
        req.socket.on('close', () => sockets.delete(req.socket));
      }
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('receives events, reconnects with its Last-Event-ID after a drop and misses nothing', async () => {
    const source = new EventSource(`${t.url}/events?topic=es`);
    const seen: { data: string; lastEventId: string }[] = [];
    let opens = 0;
    source.addEventListener('open', () => opens++);
    source.addEventListener('es', (e) => seen.push({ data: e.data, lastEventId: e.lastEventId }));
    try {
      await until(() => opens === 1, 'the first open');
      await post(`${t.url}/events/es`, { data: 1 });
      await until(() => seen.length === 1, 'the first event');

      // The network drops: the server side of every socket goes away.
      sockets.forEach((socket) => socket.destroy());
      await post(`${t.url}/events/es`, { data: 2 });
      await post(`${t.url}/events/es`, { data: 3 });
      await until(() => opens === 2, 'the reconnection');
      await post(`${t.url}/events/es`, { data: 4 });
      await until(() => seen.length === 4, 'the missed and the new events');
      expect(seen.map((e) => e.data)).toEqual(['1', '2', '3', '4']);
      expect(seen[3].lastEventId).toMatch(/^es=\d+-\d+$/);
    } finally {
      source.close();
    }
  });
});
