import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SseHub } from '../src/sse/index.js';
import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const EVENTS = 1000;
const EVENT_BYTES = 10 * 1024;
const CLIENTS = 40;
const MAX_BUFFER_BYTES = 256 * 1024;
const PAGE_SIZE = 20;
const MIB = 1024 * 1024;

// A full GC before each sample, so that what is measured is what is held, not garbage not yet
// collected (jest runs without --expose-gc; this is the documented way to get it at run time).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What this process holds for JavaScript: the app runs here (startApp is in-process). */
function memoryInUse(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** A client that sends its request with a cursor and never reads a byte of the answer. */
function neverReads(url: string, cursor: string): Socket {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(
    `GET /events?topic=t HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n` +
      `Last-Event-ID: ${cursor}\r\n\r\n`,
  );
  return socket;
}

/**
 * Issue 13, item 4: resuming clients that never read each pinned their whole replay (150 clients
 * resuming 1,000 x 10 KB took the server from 156 to 940 MB). A replay now goes a page at a time,
 * at the pace the socket drains: a client costs the bound plus one page, and one that does not
 * read is dropped like any slow consumer.
 */
describe('a resume replays at the pace of its socket (e2e)', () => {
  let t: TestApp;
  let hub: SseHub;
  let cursor: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startApp({
      RIPPLE_HISTORY_SIZE: String(EVENTS + 100),
      RIPPLE_MAX_BUFFER_BYTES: String(MAX_BUFFER_BYTES),
      RIPPLE_REPLAY_PAGE_SIZE: String(PAGE_SIZE),
      RIPPLE_WRITE_TIMEOUT_MS: '2000',
      RIPPLE_HEARTBEAT_MS: '60000',
    });
    hub = t.app.get(SseHub);
    const marker = await hub.publish('t', { seq: -1 });
    cursor = `t=${marker.id}`;
    const pad = 'x'.repeat(EVENT_BYTES);
    for (let seq = 0; seq < EVENTS; seq++) {
      await hub.publish('t', { seq, pad });
    }
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    await t?.close();
  });

  it(`holds about ${CLIENTS} x (bound + page) for clients that never read, and drops them`, async () => {
    const baseline = memoryInUse();
    let peak = 0;
    // Every 100 ms: a full GC takes tens of ms here, and sampling much more often starves the
    // event loop that must open the streams (on a loaded machine, past the timeout).
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryInUse() - baseline);
    }, 100);
    try {
      for (let i = 0; i < CLIENTS; i++) {
        sockets.push(neverReads(t.url, cursor));
      }
      // Each got its answer's first bytes (a paused socket still takes them off the wire).
      await until(
        () => sockets.every((socket) => socket.bytesRead > 0),
        `${CLIENTS} streams to open`,
        40_000,
      );
      await until(
        () => hub.connectionCount === 0,
        'the clients that never read to be dropped (write timeout)',
        30_000,
      );
    } finally {
      clearInterval(sampler);
    }
    const bound = CLIENTS * (MAX_BUFFER_BYTES + PAGE_SIZE * EVENT_BYTES);
    const unpaced = CLIENTS * EVENTS * EVENT_BYTES;
    console.log(
      `replay to ${CLIENTS} clients that never read: peak +${(peak / MIB).toFixed(1)} MiB ` +
        `(bound + page: ${(bound / MIB).toFixed(1)} MiB; whole replays: ${(unpaced / MIB).toFixed(0)} MiB)`,
    );
    // Far below whole replays, near (bound + page) per client, with room for GC's timing.
    expect(peak).toBeLessThan(bound + 48 * MIB);
    expect(peak).toBeLessThan(unpaced / 4);
  }, 90_000);

  it('gives a client that reads every event exactly once, in order, with live ones after', async () => {
    const reader = await SseReader.open(`${t.url}/events?topic=t`, { 'last-event-id': cursor });
    try {
      await reader.waitFor(
        (r) => r.frames.filter((f) => f.type === 't').length >= 100,
        20_000,
        'the replay to start',
      );
      // Published while the replay pages: more than a page, so the stream cannot just hold them.
      const live: string[] = [];
      for (let seq = EVENTS; seq < EVENTS + 3 * PAGE_SIZE; seq++) {
        live.push((await hub.publish('t', { seq })).id);
      }
      // A last one, once the rest is out: anything sent twice would come before it.
      await reader.framesOf('t', EVENTS + live.length, 30_000);
      live.push((await hub.publish('t', { seq: EVENTS + live.length })).id);
      const total = EVENTS + live.length;
      await reader.waitFor((r) => r.cursor === `t=${live.at(-1)}`, 10_000, 'the last event');
      const events = reader.frames.filter((f) => f.type === 't');
      const seqs = events.map((f) => (JSON.parse(f.data) as { seq: number }).seq);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(events.at(-1)?.lastEventId).toBe(`t=${live.at(-1)}`);
      expect(reader.frames.filter((f) => f.type === 'ripple.reset')).toEqual([]);
    } finally {
      reader.close();
    }
    await until(() => hub.connectionCount === 0, 'the reader to be released');
  }, 60_000);
});
