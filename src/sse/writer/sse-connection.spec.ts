/*
 * SseConnection is one client's writer, a state machine driven by its source (the stream), its
 * socket and its timers. These specs run it on Node's own ServerResponse over a fake socket
 * (test/utils/fake-socket.ts) whose client the test plays: it reads, or stops reading so that
 * bytes wait in the socket; bytes asserted are what Node and the connection put on the wire.
 * Timers are jest's fake ones (nextTick and setImmediate stay real: streams need them).
 *
 *   state      input                                  -> next       output
 *   created    client already gone, then start()      -> ended      client; nothing subscribed
 *   created    start(source)                          -> started    maxAgeMs armed
 *   started    first frame (GET)                      -> open       head (status line, headers),
 *                                                                   then the frame
 *   started    first frame (HEAD)                     -> ended      server-end; the head only,
 *                                                                   source released
 *   started    source fails before a frame            -> ended      server-end; onError, no bytes
 *   started    source completes before a frame        -> ended      server-end; head, empty body
 *   open       frame / shared frame                   -> open       one chunk each (plain over
 *                                                                   HTTP/1.0); a turn's in one
 *                                                                   socket write
 *   open       a write fills the socket, backlog within
 *              the bound (+ the last page's bytes)    -> stalled    writeTimeoutMs armed
 *   open       a write takes the backlog past it      -> ended      slow-consumer; socket destroyed
 *   stalled    the socket drains                      -> open       timer cleared
 *   stalled    writeTimeoutMs passes                  -> ended      write-timeout; socket destroyed
 *   open       source completes / fails               -> ended      server-end; last chunk `0`,
 *                                                                   socket kept (keep-alive)
 *   open       maxAgeMs passes                        -> ended      max-age; last chunk, socket kept
 *   any        the client goes (close, reset)         -> ended      client
 *   ended      anything                               -> ended      nothing: no byte, no timer, no
 *                                                                   subscription, `ended` once
 *
 * As the replay's pacer: whenWritable() resolves at once under the bound, on the socket's drain
 * over it, and at once when the connection has ended.
 */
import type { MessageEvent } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { interval, Observable, Subject } from 'rxjs';
import {
  FakeSocket,
  fakeRequest,
  fakeResponse,
  SOCKET_HIGH_WATER_MARK,
} from '../../../test/utils/fake-socket.js';
import { ScriptedHistory } from '../../../test/utils/scripted-history.js';
import { ev, ScriptedTransport } from '../../../test/utils/scripted-transport.js';
import { TopicChannels } from '../fanout/topic-channels.js';
import { resumableStream } from '../stream/resumable-stream.js';
import { parseCursor } from '../wire/cursor.js';
import { HEARTBEAT, sharedTopicMessage } from '../wire/message-event.js';
import { encodeFrame, sharedFrame } from '../wire/sse-frame.js';
import { SseConnection, type SseConnectionLimits } from './sse-connection.js';

/** Lets the turn end: corked sockets are uncorked, streams' ticks run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** What a promise has come to after a turn: `resolved` or `pending`. */
async function state(promise: Promise<unknown>): Promise<'resolved' | 'pending'> {
  let resolved = false;
  void promise.then(() => (resolved = true));
  await tick();
  return resolved ? 'resolved' : 'pending';
}

/** `text` as one HTTP/1.1 chunk. */
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

/**
 * The event stream in a chunked body, and whether its last chunk came: the framing is checked as
 * it is read (each chunk's size line and CRLF), and a body cut anywhere (a client still reading)
 * gives what it carries so far. Where chunks begin is the writer's business, not the client's.
 */
function dechunk(body: string): { text: string; ended: boolean } {
  const bytes = Buffer.from(body);
  let text = '';
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol < 0) {
      return { text, ended: false };
    }
    const size = parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    expect(Number.isNaN(size)).toBe(false);
    if (size === 0) {
      return { text, ended: true };
    }
    const start = eol + 2;
    text += bytes.subarray(start, Math.min(start + size, bytes.length)).toString();
    if (start + size + 2 > bytes.length) {
      return { text, ended: false };
    }
    expect(bytes.subarray(start + size, start + size + 2).toString()).toBe('\r\n');
    at = start + size + 2;
  }
}

const LAST_CHUNK = '0\r\n\r\n';
const HEAD_1_1 =
  'HTTP/1.1 200 OK\r\n' +
  'Content-Type: text/event-stream; charset=utf-8\r\n' +
  'Connection: keep-alive\r\n' +
  'Transfer-Encoding: chunked\r\n\r\n';

const opening: MessageEvent = { retry: 1000, id: 't=1-0' };
const OPENING = 'id: t=1-0\nretry: 1000\n\n';
/** A one-topic event's message, `size` bytes of data. */
const event = (ms: number, size = 1) =>
  sharedTopicMessage({ ...ev('t', ms), data: 'x'.repeat(size) });

const LIMITS: SseConnectionLimits = { maxBufferBytes: 1024, writeTimeoutMs: 1000, maxAgeMs: 0 };

interface ConnectOptions {
  method?: string;
  httpVersion?: '1.0' | '1.1';
  /** The response waits behind a pipelined one: no socket yet. */
  queued?: boolean;
  highWaterMark?: number;
  limits?: Partial<SseConnectionLimits>;
}

/**
 * A connection as Ripple's writer (SseWriterInterceptor) makes one, and as Nest then replies it:
 * the client's leaving ends it, its first frame sends the headers (a HEAD's ends it), and its
 * body is piped into the response (a HEAD's response ends with it).
 */
function connect(source: Observable<MessageEvent>, options: ConnectOptions = {}) {
  const socket = new FakeSocket(options.highWaterMark);
  const request = fakeRequest(socket, options);
  const response = fakeResponse(request, socket, options);
  const ends: string[] = [];
  const drops: string[] = [];
  const delivered: string[] = [];
  const errors: unknown[] = [];
  let started = 0;
  const connection = new SseConnection(
    response,
    { ...LIMITS, ...options.limits },
    {
      dropped: (reason, backlog) => drops.push(`${reason} ${backlog}`),
      ended: (reason) => ends.push(reason),
      delivered: (topic) => delivered.push(topic),
    },
  );
  connection.watchClient(request.socket);
  connection.start(
    source,
    () => {
      if (started++ > 0) {
        return;
      }
      response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      if (request.method === 'HEAD') {
        connection.endEmpty();
        return;
      }
      connection.open();
    },
    (err) => errors.push(err),
  );
  return {
    socket,
    response,
    connection,
    ends,
    drops,
    delivered,
    errors,
    get started() {
      return started;
    },
  };
}

/** A source the test feeds; `observed` tells whether the connection still listens. */
const feed = () => new Subject<MessageEvent>();

describe('SseConnection', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('opening and writing', () => {
    it("answers with Node's head, then writes each frame as one HTTP chunk", async () => {
      const source = feed();
      const c = connect(source);
      expect(c.socket.received).toBe('');
      source.next(opening);
      source.next(event(2));
      source.next(HEARTBEAT);
      await tick();
      expect(c.socket.head).toBe(HEAD_1_1);
      expect(c.socket.body).toBe(
        '17\r\nid: t=1-0\nretry: 1000\n\n\r\n' +
          '1c\r\nevent: t\nid: t=2-0\ndata: x\n\n\r\n' +
          '4\r\n: \n\n\r\n',
      );
      // Counted here: this event did not go through its topic's fan-out.
      expect(c.delivered).toEqual(['t']);
      expect(c.ends).toEqual([]);
    });

    it('writes what one turn wrote in one socket write', async () => {
      const source = feed();
      const c = connect(source);
      source.next(opening);
      await tick();
      const writes = c.socket.writes;
      const before = c.socket.received;
      source.next(event(2));
      source.next(event(3));
      c.connection.writeShared(sharedFrame(ev('t', 4)));
      // Corked until the end of the turn.
      expect(c.socket.received).toBe(before);
      await tick();
      expect(c.socket.writes).toBe(writes + 1);
      expect(c.socket.body).toBe(
        chunk(OPENING) +
          chunk(encodeFrame(event(2))) +
          chunk(encodeFrame(event(3))) +
          chunk(encodeFrame(sharedTopicMessage(ev('t', 4)))),
      );
    });

    it("writes a live event's shared frame as it is, and counts it as a write", async () => {
      const source = feed();
      const c = connect(source);
      source.next(opening);
      await tick();
      c.connection.takeWrote();
      const frame = sharedFrame(ev('t', 2));
      c.connection.writeShared(frame);
      expect(c.connection.takeWrote()).toBe(true);
      expect(c.connection.takeWrote()).toBe(false);
      await tick();
      expect(c.socket.body).toBe(chunk(OPENING) + frame.chunked.toString());
      // The fan-out counts these itself.
      expect(c.delivered).toEqual([]);
    });

    it('does not count a heartbeat as a write, so the next tick sends one again', () => {
      const source = feed();
      const c = connect(source);
      source.next(opening);
      expect(c.connection.takeWrote()).toBe(true);
      source.next(HEARTBEAT);
      expect(c.connection.takeWrote()).toBe(false);
      source.next(event(2));
      expect(c.connection.takeWrote()).toBe(true);
    });

    it('writes frames without chunk framing over HTTP/1.0', async () => {
      const source = feed();
      const c = connect(source, { httpVersion: '1.0' });
      source.next(opening);
      c.connection.writeShared(sharedFrame(ev('t', 2)));
      await tick();
      expect(c.socket.head).toBe(
        'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nConnection: close\r\n\r\n',
      );
      expect(c.socket.body).toBe(OPENING + encodeFrame(sharedTopicMessage(ev('t', 2))));
    });

    it('writes through the response while a pipelined one holds the socket, in order', async () => {
      const source = feed();
      const c = connect(source, { queued: true });
      source.next(opening);
      source.next(event(2));
      c.connection.writeShared(sharedFrame(ev('t', 3)));
      await tick();
      expect(c.socket.received).toBe('');
      // Its turn: the response before it has ended.
      c.response.assignSocket(c.socket as never);
      source.next(event(4));
      await tick();
      expect(c.socket.head).toBe(HEAD_1_1);
      expect(c.socket.body).toBe(
        chunk(OPENING) +
          chunk(encodeFrame(event(2))) +
          chunk(encodeFrame(sharedTopicMessage(ev('t', 3)))) +
          chunk(encodeFrame(event(4))),
      );
    });

    it('answers a HEAD with the head alone, and releases the source at its first frame', async () => {
      const source = feed();
      const c = connect(source, { method: 'HEAD' });
      source.next(opening);
      expect(source.observed).toBe(false);
      expect(c.ends).toEqual(['server-end']);
      await tick();
      expect(c.socket.received).toBe(
        'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nConnection: keep-alive\r\n\r\n',
      );
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  describe('backpressure', () => {
    /** A connection opened while its client read; the client then stops reading. */
    async function stalled(options: ConnectOptions = {}) {
      const source = feed();
      const c = connect(source, { highWaterMark: 64, ...options });
      source.next(opening);
      await tick();
      c.socket.stopReading();
      return { ...c, source };
    }
    const FRAME = chunk(encodeFrame(event(2, 100)));

    it('gives a full socket within the bound writeTimeoutMs to drain; the drain disarms it', async () => {
      const c = await stalled();
      c.source.next(event(2, 100));
      expect(c.connection.backlogBytes).toBe(FRAME.length);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(LIMITS.writeTimeoutMs - 1);
      await tick();
      c.socket.readWaiting();
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(10 * LIMITS.writeTimeoutMs);
      expect(c.drops).toEqual([]);
      // Full again: a new deadline.
      c.source.next(event(3, 100));
      expect(jest.getTimerCount()).toBe(1);
    });

    it('drops a client whose socket stays full for writeTimeoutMs, and closes it', async () => {
      const c = await stalled();
      c.source.next(event(2, 100));
      jest.advanceTimersByTime(LIMITS.writeTimeoutMs);
      expect(c.drops).toEqual([`write-timeout ${FRAME.length}`]);
      expect(c.ends).toEqual(['write-timeout']);
      expect(c.socket.destroyed).toBe(true);
      expect(c.source.observed).toBe(false);
      await tick();
      // Its close (the client gone) ends nothing twice.
      expect(c.ends).toEqual(['write-timeout']);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('drops a client at once when a write takes its backlog past the bound', async () => {
      const c = await stalled({ limits: { maxBufferBytes: 200 } });
      c.source.next(event(2, 100));
      expect(c.drops).toEqual([]);
      c.source.next(event(3, 100));
      expect(c.drops).toEqual([`slow-consumer ${2 * FRAME.length}`]);
      expect(c.ends).toEqual(['slow-consumer']);
      expect(c.socket.destroyed).toBe(true);
      expect(c.source.observed).toBe(false);
      c.connection.takeWrote();
      c.source.next(event(4, 100));
      c.connection.writeShared(sharedFrame(ev('t', 5)));
      expect(c.connection.takeWrote()).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    });

    it("allows a replay's page past the bound until the socket drains, and no longer", async () => {
      const c = await stalled({ limits: { maxBufferBytes: 200 } });
      c.connection.page(() => {
        for (let ms = 2; ms <= 4; ms++) {
          c.source.next(event(ms, 100));
        }
      });
      expect(c.drops).toEqual([]);
      // The page left as one chunk.
      expect(c.connection.backlogBytes).toBe(
        chunk([2, 3, 4].map((ms) => encodeFrame(event(ms, 100))).join('')).length,
      );
      const room = c.connection.whenWritable();
      expect(await state(room)).toBe('pending');
      c.socket.readWaiting();
      expect(await state(room)).toBe('resolved');
      // Read: the page is no excuse any more.
      c.source.next(event(5, 100));
      c.source.next(event(6, 100));
      expect(c.drops).toEqual([`slow-consumer ${2 * FRAME.length}`]);
    });

    it('lets a replay go on at once under the bound, on the drain over it, at once once ended', async () => {
      const c = await stalled({ limits: { maxBufferBytes: 200 } });
      expect(await state(c.connection.whenWritable())).toBe('resolved');
      c.connection.page(() => c.source.next(event(2, 300)));
      const listeners = c.socket.listenerCount('drain');
      const first = c.connection.whenWritable();
      const second = c.connection.whenWritable();
      expect(c.socket.listenerCount('drain')).toBe(listeners + 2);
      expect(await state(first)).toBe('pending');
      c.socket.destroy();
      expect(await state(first)).toBe('resolved');
      expect(await state(second)).toBe('resolved');
      expect(await state(c.connection.whenWritable())).toBe('resolved');
      expect(c.ends).toEqual(['client']);
      expect(c.socket.listenerCount('drain')).toBe(listeners);
    });

    it('lets a replay go on when its backlog never filled the socket (a bound under its high-water mark)', async () => {
      const c = await stalled({
        highWaterMark: SOCKET_HIGH_WATER_MARK,
        limits: { maxBufferBytes: 100 },
      });
      c.connection.page(() => c.source.next(event(2, 500)));
      await tick();
      expect(c.connection.backlogBytes).toBeGreaterThan(100);
      // No write returned false: the socket owes no drain, and will send none.
      expect(c.socket.writableNeedDrain).toBe(false);
      const room = c.connection.whenWritable();
      c.socket.resumeReading();
      expect(c.connection.backlogBytes).toBe(0);
      expect(await state(room)).toBe('resolved');
    });
  });

  describe('ending', () => {
    it('subscribes nothing for a client that left before it started', () => {
      const socket = new FakeSocket();
      const response = fakeResponse(fakeRequest(socket), socket);
      const ends: string[] = [];
      const connection = new SseConnection(response, LIMITS, {
        dropped: () => undefined,
        ended: (reason) => ends.push(reason),
        delivered: () => undefined,
      });
      connection.clientLeft();
      const source = feed();
      let started = false;
      connection.start(
        source,
        () => (started = true),
        () => undefined,
      );
      expect(source.observed).toBe(false);
      expect(started).toBe(false);
      expect(ends).toEqual(['client']);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('releases a source that ended the stream while it was being subscribed', () => {
      let tornDown = 0;
      const source = new Observable<MessageEvent>((subscriber) => {
        subscriber.next(opening);
        subscriber.next(event(2, 100));
        return () => tornDown++;
      });
      // Full before it starts: dropped at its first frames, inside subscribe().
      const socket = new FakeSocket(16);
      socket.stopReading();
      const response = fakeResponse(fakeRequest(socket), socket);
      const drops: string[] = [];
      const connection = new SseConnection(
        response,
        { ...LIMITS, maxBufferBytes: 16, maxAgeMs: 60_000 },
        {
          dropped: (reason) => drops.push(reason),
          ended: () => undefined,
          delivered: () => undefined,
        },
      );
      connection.start(
        source,
        () => connection.open(),
        () => undefined,
      );
      expect(drops).toEqual(['slow-consumer']);
      expect(socket.destroyed).toBe(true);
      expect(tornDown).toBe(1);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('answers a source that fails before its first frame with nothing, for the error to answer', async () => {
      const err = new Error('refused');
      const source = feed();
      const c = connect(source);
      source.error(err);
      await tick();
      expect(c.errors).toEqual([err]);
      expect(c.ends).toEqual(['server-end']);
      expect(c.socket.received).toBe('');
    });

    it('answers a source that completes before its first frame with an empty stream', async () => {
      const source = feed();
      const c = connect(source);
      source.complete();
      await tick();
      expect(c.started).toBe(1);
      expect(c.socket.received).toBe(HEAD_1_1 + LAST_CHUNK);
      expect(c.ends).toEqual(['server-end']);
    });

    /**
     * Every way out of an open, stalled connection whose age and write deadlines are both armed:
     * the reason, and whether the response ends cleanly (its last chunk, the socket kept) or the
     * socket is destroyed.
     */
    const waysOut: [string, string, 'clean' | 'destroyed', (c: Stalled) => void][] = [
      ['the source completes', 'server-end', 'clean', (c) => c.source.complete()],
      ['the source fails', 'server-end', 'clean', (c) => c.source.error(new Error('late'))],
      [
        'it reaches its max age',
        'max-age',
        'clean',
        (c) => {
          // Its client reads again (the write deadline goes), then its time is up.
          c.socket.readWaiting();
          jest.advanceTimersByTime(60_000);
        },
      ],
      ['the client closes', 'client', 'destroyed', (c) => c.socket.destroy()],
      [
        'the connection resets',
        'client',
        'destroyed',
        (c) => c.socket.destroy(new Error('read ECONNRESET')),
      ],
      [
        'its write deadline passes',
        'write-timeout',
        'destroyed',
        () => jest.advanceTimersByTime(1000),
      ],
      [
        'it writes past the bound',
        'slow-consumer',
        'destroyed',
        (c) => c.source.next(event(3, 2000)),
      ],
    ];
    type Stalled = ReturnType<typeof connect> & { source: Subject<MessageEvent> };

    it.each(waysOut)('ends once, leaving no timer, when %s', async (_, reason, how, exit) => {
      const source = feed();
      const c: Stalled = {
        ...connect(source, { highWaterMark: 64, limits: { maxAgeMs: 60_000 } }),
        source,
      };
      source.next(opening);
      await tick();
      c.socket.stopReading();
      source.next(event(2, 100));
      await tick();
      expect(jest.getTimerCount()).toBe(2);
      exit(c);
      await tick();
      expect(c.ends).toEqual([reason]);
      expect(jest.getTimerCount()).toBe(0);
      expect(source.observed).toBe(false);
      if (how === 'clean') {
        c.socket.resumeReading();
        await tick();
        expect(c.socket.destroyed).toBe(false);
        expect(c.socket.body).toBe(chunk(OPENING) + chunk(encodeFrame(event(2, 100))) + LAST_CHUNK);
      } else {
        expect(c.socket.destroyed).toBe(true);
      }
      // Nothing more is written, counted or ended.
      const delivered = [...c.delivered];
      source.next(event(4));
      c.connection.writeShared(sharedFrame(ev('t', 5)));
      jest.advanceTimersByTime(120_000);
      await tick();
      expect(c.ends).toEqual([reason]);
      expect(c.delivered).toEqual(delivered);
    });
  });

  describe('any client', () => {
    type Action =
      | { kind: 'frame'; size: number }
      | { kind: 'page'; sizes: number[] }
      | { kind: 'time'; ms: number }
      | { kind: 'shared' | 'stop' | 'read' | 'resume' | 'wait' | 'turn' | 'socket' };

    const size = fc.integer({ min: 1, max: 300 });
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.record({ kind: fc.constant('frame' as const), size }),
      fc.record({
        kind: fc.constant('page' as const),
        sizes: fc.array(size, { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
      fc.record({
        kind: fc.constantFrom(
          'shared' as const,
          'stop' as const,
          'read' as const,
          'resume' as const,
          'wait' as const,
          'turn' as const,
          'socket' as const,
        ),
      }),
    );
    const scenario = fc.record({
      bound: fc.integer({ min: 1, max: 2000 }),
      highWaterMark: fc.integer({ min: 16, max: 4096 }),
      // Pipelined behind another response: the socket comes later ('socket').
      queued: fc.boolean(),
      actions: fc.array(action, { maxLength: 40, size: 'max' }),
    });

    it('delivers every frame whole and in order, or drops the client past its bound; a replay never waits for good', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ bound, highWaterMark, queued, actions }) => {
          const source = feed();
          const c = connect(source, {
            highWaterMark,
            queued,
            limits: { maxBufferBytes: bound, writeTimeoutMs: 1000, maxAgeMs: 0 },
          });
          const giveSocket = () => {
            if (!c.response.socket && !c.response.destroyed) {
              c.response.assignSocket(c.socket as never);
            }
          };
          source.next(opening);
          let expected = OPENING;
          let ms = 2;
          const write = (bytes: number) => {
            const message = event(ms++, bytes);
            source.next(message);
            expected += encodeFrame(message);
          };
          const waits: Promise<void>[] = [];
          for (const a of actions) {
            switch (a.kind) {
              case 'frame':
                write(a.size);
                break;
              case 'page':
                c.connection.page(() => a.sizes.forEach(write));
                break;
              case 'shared': {
                const e = ev('t', ms++);
                c.connection.writeShared(sharedFrame(e));
                expected += encodeFrame(sharedTopicMessage(e));
                break;
              }
              case 'stop':
                c.socket.stopReading();
                break;
              case 'read':
                c.socket.readWaiting();
                break;
              case 'resume':
                c.socket.resumeReading();
                break;
              case 'wait':
                waits.push(c.connection.whenWritable());
                break;
              case 'time':
                jest.advanceTimersByTime(a.ms);
                break;
              case 'turn':
                await tick();
                break;
              case 'socket':
                giveSocket();
                break;
            }
            // What the client read is always the head, then whole frames in order.
            if (c.socket.received !== '') {
              expect(c.socket.head).toBe(HEAD_1_1);
              expect(expected.startsWith(dechunk(c.socket.body).text)).toBe(true);
            }
          }
          // The client reads everything: no replay still waits for room. Then the stream ends.
          giveSocket();
          await tick();
          c.socket.resumeReading();
          for (const wait of waits) {
            expect(await state(wait)).toBe('resolved');
          }
          source.complete();
          await tick();
          expect(c.ends).toHaveLength(1);
          expect(jest.getTimerCount()).toBe(0);
          expect(source.observed).toBe(false);
          if (c.drops.length === 0) {
            expect(c.ends).toEqual(['server-end']);
            expect(dechunk(c.socket.body)).toEqual({ text: expected, ended: true });
            expect(c.socket.body.endsWith(LAST_CHUNK)).toBe(true);
          } else {
            const [reason, backlog] = c.drops[0].split(' ');
            expect(c.ends).toEqual([reason]);
            expect(c.response.destroyed).toBe(true);
            if (reason === 'slow-consumer') {
              expect(Number(backlog)).toBeGreaterThan(bound);
            }
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('sending a resumable stream', () => {
    const HEARTBEAT_MS = 15_000;
    let transport: ScriptedTransport;
    let history: ScriptedHistory;

    beforeEach(() => {
      jest.spyOn(Math, 'random').mockReturnValue(0.5);
      transport = new ScriptedTransport();
      history = new ScriptedHistory();
    });

    afterEach(() => {
      jest.restoreAllMocks();
    });

    function resumeOver(cursor: string, options: ConnectOptions & { pageSize?: number } = {}) {
      return connect(
        resumableStream(
          {
            channels: new TopicChannels(transport),
            history,
            retryMs: 1000,
            pageSize: options.pageSize ?? 100,
            heartbeat$: interval(HEARTBEAT_MS),
            directAllowed: () => true,
          },
          ['t'],
          parseCursor(cursor),
        ),
        options,
      );
    }

    /** The frame of a one-topic event with data `ms`, as one chunk. */
    const eventChunk = (ms: number) => chunk(encodeFrame(sharedTopicMessage(ev('t', ms))));

    it('sends a heartbeat in each period with nothing else, live events written directly included', async () => {
      history.store(ev('t', 1));
      const c = resumeOver('t=1-0');
      transport.subscribed('t');
      history.answer();
      await tick();
      expect(c.socket.head).toBe(HEAD_1_1);
      jest.advanceTimersByTime(HEARTBEAT_MS); // the opening went out in this period
      jest.advanceTimersByTime(HEARTBEAT_MS);
      await tick();
      expect(c.socket.body).toBe(chunk(OPENING) + chunk(': \n\n'));
      history.store(ev('t', 2), ev('t', 3));
      transport.live(ev('t', 2));
      jest.advanceTimersByTime(HEARTBEAT_MS);
      transport.live(ev('t', 3)); // written by the topic's channel, at the end of the turn
      await tick();
      jest.advanceTimersByTime(HEARTBEAT_MS);
      jest.advanceTimersByTime(HEARTBEAT_MS);
      await tick();
      expect(c.socket.body).toBe(
        chunk(OPENING) + chunk(': \n\n') + eventChunk(2) + eventChunk(3) + chunk(': \n\n'),
      );
    });

    it('replays all of history a page at a time under a bound smaller than the socket holds', async () => {
      for (let ms = 2; ms <= 11; ms++) {
        history.store(ev('t', ms));
      }
      const c = resumeOver('t=1-0', { pageSize: 2, limits: { maxBufferBytes: 40 } });
      transport.subscribed('t');
      c.socket.stopReading();
      for (let page = 0; page < 6 && history.pending.length > 0; page++) {
        history.answer();
        await tick();
        c.socket.readWaiting();
        await tick();
      }
      expect(history.calls).toHaveLength(5);
      // The opening with the first page, then a page at a time: a chunk each.
      const frame = (ms: number) => encodeFrame(sharedTopicMessage(ev('t', ms)));
      expect(c.socket.body).toBe(
        chunk(OPENING + frame(2) + frame(3)) +
          [4, 6, 8, 10].map((ms) => chunk(frame(ms) + frame(ms + 1))).join(''),
      );
      expect(c.drops).toEqual([]);
    });

    it('leaves no subscription, read or timer behind when the client goes mid-replay', async () => {
      for (let ms = 2; ms <= 11; ms++) {
        history.store(ev('t', ms));
      }
      const c = resumeOver('t=1-0', { pageSize: 2 });
      transport.subscribed('t');
      history.answer();
      await tick();
      expect(history.pending).toHaveLength(1);
      c.socket.destroy();
      await tick();
      expect(c.ends).toEqual(['client']);
      expect(transport.subscriptions()).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
      history.answer();
      await tick();
      expect(history.pending).toHaveLength(0);
    });
  });
});
