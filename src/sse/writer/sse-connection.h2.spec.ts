/*
 * SseConnection over HTTP/2: Node's compatibility API (Http2ServerResponse) on a real h2c server
 * and a real node:http2 client, streams of one client sharing one session. The response's socket
 * is the session's there, and writing to it would corrupt every stream of the session: frames go
 * on the response's own stream, whose backlog (writableLength: what the client's flow-control
 * window does not let out) is bounded and deadlined per stream, as a socket is over HTTP/1.1.
 *
 * The client here advertises a small stream window (SETTINGS_INITIAL_WINDOW_SIZE) so that a stream
 * it does not read fills quickly; Node's client keeps the session's window open for the streams it
 * does read, as browsers do. Timers are real: the deadlines are short. One test runs resumable
 * streams over a topic's channel, for the fast path's HTTP/2 form: the channel writes a live
 * event's shared frame (its plain bytes) to every one-topic stream directly.
 */
import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { MessageEvent } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Subject, type Observable } from 'rxjs';
import { until } from '../../../test/utils/until.js';
import { ScriptedHistory } from '../../../test/utils/scripted-history.js';
import { ev, ScriptedTransport } from '../../../test/utils/scripted-transport.js';
import { TopicChannels } from '../fanout/topic-channels.js';
import { resumableStream } from '../stream/resumable-stream.js';
import { parseCursor } from '../wire/cursor.js';
import { HEARTBEAT, sharedTopicMessage } from '../wire/message-event.js';
import { encodeFrame, sharedFrame } from '../wire/sse-frame.js';
import { SseConnection, type SseConnectionLimits } from './sse-connection.js';

const LIMITS: SseConnectionLimits = { maxBufferBytes: 4096, writeTimeoutMs: 5000, maxAgeMs: 0 };
/** The stream window the client advertises: a stream it does not read is full after this. */
const CLIENT_STREAM_WINDOW = 1024;

const opening: MessageEvent = { retry: 1000, id: 't=1-0' };
const OPENING = 'id: t=1-0\nretry: 1000\n\n';
/** A one-topic event's message, `size` bytes of data. */
const event = (ms: number, size = 1) =>
  sharedTopicMessage({ ...ev('t', ms), data: 'x'.repeat(size) });

/** One stream as the server side sees it: its connection, its source, what it reported. */
interface ServerStream {
  request: Http2ServerRequest;
  response: Http2ServerResponse;
  /** Kept: a closed stream forgets its session. */
  session: unknown;
  connection: SseConnection;
  source: Subject<MessageEvent>;
  ends: string[];
  drops: string[];
}

/** One stream as the client sees it: its headers, the body so far, how it ended. */
interface ClientStream {
  stream: ClientHttp2Stream;
  headers: IncomingHttpHeaders | undefined;
  body: string;
  ended: boolean;
}

let server: Http2Server;
let origin: string;
/** The server's streams, in the order their requests came. */
let opened: ServerStream[];
let sessions: ClientHttp2Session[];
let limits: SseConnectionLimits;
/** What each request streams, when not a Subject the test feeds by hand. */
let makeStream: (() => Observable<MessageEvent>) | undefined;

/**
 * The writer's part, as SseWriterInterceptor plays it: a connection per request, the client's
 * leaving watched, the headers at the first frame (a HEAD ends there), Connection never set.
 */
function serve(request: Http2ServerRequest, response: Http2ServerResponse): void {
  const source = new Subject<MessageEvent>();
  const stream = makeStream?.() ?? source;
  const ends: string[] = [];
  const drops: string[] = [];
  const connection = new SseConnection(response, limits, {
    dropped: (reason, backlog) => drops.push(`${reason} ${backlog}`),
    ended: (reason) => ends.push(reason),
    delivered: () => undefined,
  });
  connection.watchClient(request.socket);
  connection.start(
    stream,
    () => {
      response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      if (request.method === 'HEAD') {
        connection.endEmpty();
        return;
      }
      connection.open();
    },
    () => undefined,
  );
  opened.push({
    request,
    response,
    session: request.stream.session,
    connection,
    source,
    ends,
    drops,
  });
}

function connectClient(): ClientHttp2Session {
  const session = http2.connect(origin, {
    settings: { initialWindowSize: CLIENT_STREAM_WINDOW },
  });
  session.on('error', () => undefined);
  sessions.push(session);
  return session;
}

/** A request on `session`; `read: false` leaves its body unread (the stream's window fills). */
function request(
  session: ClientHttp2Session,
  options: { method?: string; read?: boolean } = {},
): ClientStream {
  const stream = session.request({ ':path': '/', ':method': options.method ?? 'GET' });
  const client: ClientStream = { stream, headers: undefined, body: '', ended: false };
  stream.on('response', (headers) => (client.headers = headers));
  stream.on('error', () => undefined);
  stream.on('end', () => (client.ended = true));
  if (options.read !== false) {
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => (client.body += text));
  }
  return client;
}

/** The server side of the `index`th request, once it has come. */
async function serverStream(index: number): Promise<ServerStream> {
  await until(() => opened.length > index, `request ${index} at the server`);
  return opened[index];
}

/** Writes frames of `size` bytes to `s` until `done()`, one per turn, as live events come. */
async function publishUntil(s: ServerStream, size: number, done: () => boolean, from = 2) {
  for (let ms = from; !done(); ms++) {
    if (ms > from + 10_000) {
      throw new Error('the stream was never stopped');
    }
    s.source.next(event(ms, size));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

beforeEach(async () => {
  opened = [];
  sessions = [];
  limits = LIMITS;
  makeStream = undefined;
  server = http2.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const session of sessions) {
    session.destroy();
  }
  for (const s of opened) {
    s.connection.end();
  }
  await new Promise((resolve) => server.close(resolve));
});

describe('SseConnection over HTTP/2', () => {
  it('writes plain frames on its own stream, with no Connection header, and ends the stream alone', async () => {
    const session = connectClient();
    const client = request(session);
    const s = await serverStream(0);
    s.source.next(opening);
    s.source.next(event(2));
    s.source.next(HEARTBEAT);
    s.connection.writeShared(sharedFrame(ev('t', 3)));
    const expected =
      OPENING + encodeFrame(event(2)) + ': \n\n' + encodeFrame(sharedTopicMessage(ev('t', 3)));
    await until(() => client.body === expected, 'the frames, as plain event-stream text');
    expect(client.headers?.[':status']).toBe(200);
    expect(client.headers?.['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers?.connection).toBeUndefined();
    // The drain at shutdown: the stream ends (END_STREAM), the session is the server's to close.
    s.connection.end();
    await until(() => client.ended, 'the end of the stream');
    expect(s.ends).toEqual(['server-end']);
    expect(s.source.observed).toBe(false);
    expect(session.closed || session.destroyed).toBe(false);
    const next = request(session);
    const t = await serverStream(1);
    expect(t.session).toBe(s.session);
    t.source.next(opening);
    await until(() => next.body === OPENING, 'a new stream on the same session');
  });

  it('answers a HEAD with the headers and an ended stream, and nothing subscribed', async () => {
    const client = request(connectClient(), { method: 'HEAD' });
    const s = await serverStream(0);
    s.source.next(opening);
    await until(() => client.ended, 'the end of the HEAD stream');
    expect(client.headers?.[':status']).toBe(200);
    expect(client.headers?.['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.body).toBe('');
    expect(s.ends).toEqual(['server-end']);
    expect(s.source.observed).toBe(false);
  });

  it('ends the stream when its client closes it, and the session lives on', async () => {
    const session = connectClient();
    const client = request(session);
    const other = request(session);
    const s = await serverStream(0);
    const t = await serverStream(1);
    s.source.next(opening);
    t.source.next(opening);
    await until(() => client.body === OPENING && other.body === OPENING, 'both openings');
    client.stream.close(http2.constants.NGHTTP2_CANCEL);
    await until(() => s.ends.length > 0, 'the end of the closed stream');
    expect(s.ends).toEqual(['client']);
    expect(s.source.observed).toBe(false);
    expect(t.ends).toEqual([]);
    t.source.next(event(2));
    await until(() => other.body === OPENING + encodeFrame(event(2)), 'the other stream');
  });

  it('drops a stream its client does not read once its backlog passes the bound', async () => {
    const client = request(connectClient(), { read: false });
    const s = await serverStream(0);
    s.source.next(opening);
    await publishUntil(s, 1000, () => s.ends.length > 0);
    expect(s.ends).toEqual(['slow-consumer']);
    // Measured on the stream: past its high-water mark (a write said so), and past the bound.
    const backlog = Number(s.drops[0].split(' ')[1]);
    expect(backlog).toBeGreaterThan(limits.maxBufferBytes);
    expect(backlog).toBeGreaterThanOrEqual(s.response.stream.writableHighWaterMark);
    expect(s.source.observed).toBe(false);
    // Reset, not ended: the client reconnects and resumes from its cursor.
    await until(() => client.stream.rstCode !== undefined, 'the client to see its stream reset');
    expect(client.ended).toBe(false);
  });

  it('drops a stream that stays full for writeTimeoutMs, under the bound', async () => {
    limits = { ...LIMITS, maxBufferBytes: 1 << 20, writeTimeoutMs: 300 };
    const client = request(connectClient(), { read: false });
    const s = await serverStream(0);
    s.source.next(opening);
    // Fill it past its high-water mark (a write returns false), then publish nothing more.
    await publishUntil(s, 1000, () => s.response.stream.writableNeedDrain);
    const full = Date.now();
    await until(() => s.ends.length > 0, 'the write deadline', 5000);
    expect(Date.now() - full).toBeGreaterThanOrEqual(limits.writeTimeoutMs - 20);
    expect(s.ends).toEqual(['write-timeout']);
    expect(s.drops[0]).toMatch(/^write-timeout \d+$/);
    await until(() => client.stream.rstCode !== undefined, 'the client to see its stream reset');
  });

  it("paces a replay by its stream's drain: the next page waits until the client reads", async () => {
    limits = { ...LIMITS, maxBufferBytes: 1024 };
    const client = request(connectClient(), { read: false });
    const s = await serverStream(0);
    s.source.next(opening);
    // One page past the stream's high-water mark: allowed on top of the bound, not dropped.
    const frames = Array.from({ length: 20 }, (_, i) => event(i + 2, 1000));
    s.connection.page(() => frames.forEach((frame) => s.source.next(frame)));
    expect(s.drops).toEqual([]);
    let room = false;
    void s.connection.whenWritable().then(() => (room = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(room).toBe(false);
    client.stream.setEncoding('utf8');
    client.stream.on('data', (text: string) => (client.body += text));
    await until(() => room, 'room once the client reads');
    await until(
      () => client.body === OPENING + frames.map((frame) => encodeFrame(frame)).join(''),
      'the whole page',
    );
    expect(s.ends).toEqual([]);
  });

  it("resumes one-topic streams of one session, then writes their live events from the topic's fan-out", async () => {
    const transport = new ScriptedTransport();
    const history = new ScriptedHistory();
    const channels = new TopicChannels(transport);
    makeStream = () =>
      resumableStream(
        { channels, history, retryMs: 1000, pageSize: 100, directAllowed: () => true },
        ['t'],
        parseCursor('t=1-0'),
      );
    const direct = jest.spyOn(SseConnection.prototype, 'writeShared');
    // The retry delay's jitter, at its middle: the opening's `retry:` is retryMs.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      history.store(ev('t', 2));
      const session = connectClient();
      const clients = [request(session), request(session)];
      await serverStream(1);
      transport.subscribed('t');
      await until(() => history.pending.length === 2, 'both replays to read history');
      history.answer();
      history.answer();
      const frame = (ms: number) => encodeFrame(sharedTopicMessage(ev('t', ms)));
      await until(
        () => clients.every((c) => c.body === OPENING + frame(2)),
        'the openings and the replay',
      );
      for (let ms = 3; ms <= 5; ms++) {
        history.store(ev('t', ms));
        transport.live(ev('t', ms));
      }
      const expected = OPENING + [2, 3, 4, 5].map(frame).join('');
      await until(() => clients.every((c) => c.body === expected), 'the live events');
      // The first live event goes through each stream; from the next on the channel writes them,
      // those of one turn (4 and 5 here) in one write per stream.
      expect(direct).toHaveBeenCalledTimes(2);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('keeps the stream that is read flowing while another of the same session stalls and is dropped', async () => {
    const session = connectClient();
    const reading = request(session);
    const stalled = request(session, { read: false });
    const r = await serverStream(0);
    const s = await serverStream(1);
    // One client, one connection: both streams are on one session.
    expect(r.session).toBe(s.session);
    r.source.next(opening);
    s.source.next(opening);
    let ms = 2;
    let expected = OPENING;
    /** An event to both at a pace the reading client keeps up with (its window is small too). */
    const both = async (stop: () => boolean) => {
      for (; !stop(); ms++) {
        r.source.next(event(ms, 1000));
        s.source.next(event(ms, 1000));
        expected += encodeFrame(event(ms, 1000));
        await until(() => reading.body === expected, `frame ${ms} on the stream that reads`);
      }
    };
    await both(() => s.ends.length > 0);
    expect(s.ends).toEqual(['slow-consumer']);
    // The session's window was not spent on the stalled stream: the other goes on.
    const dropAt = ms;
    await both(() => ms > dropAt + 50);
    expect(r.ends).toEqual([]);
    expect(r.drops).toEqual([]);
    await until(() => stalled.stream.rstCode !== undefined, 'the stalled stream reset');
  });
});
