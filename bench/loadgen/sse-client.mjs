/**
 * A load generator: opens N real SSE connections (raw TCP, HTTP/1.1; or, with `http2`, streams
 * on h2c sessions of node:http2, `streamsPerSession` per session), parses every frame
 * incrementally (de-chunking, then splitting on "\n\n" and reading the benchmark payload's "s"
 * and "t" without JSON.parse), checks per connection that the sequence numbers arrive in order
 * with none missing, and records publish-to-receive latency in a histogram.
 *
 * Commands (orchestrator -> load generator over IPC), each answered with {id, ok, ...}:
 *   connect {host, port, path, count, slow, fromSeq, readyOn, localAddresses, concurrency, timeoutMs,
 *            cursors, catchUpSeq}
 *            opens `count` connections (the first `slow` of them never read: they are paused as
 *            soon as the request is written); answers once every one is ready: has its response
 *            headers (readyOn 'headers') or its first frame (readyOn 'frame'). `fromSeq` is the
 *            first sequence number each must see; localAddresses spreads them over source
 *            addresses (127.0.0.x), as one address has only ~28k ephemeral ports.
 *            With `cursors` ([{lastEventId, afterSeq}], taken in turn), each connection resumes:
 *            it sends that Last-Event-ID and must see every event after `afterSeq`, in order.
 *            With `http2`, the connections are HTTP/2 streams (h2c), `streamsPerSession` (100) on
 *            each session, as the streams of one browser share its connection.
 *            With `catchUpSeq`, it answers only once every connection has seen that event (caught
 *            up), with the window's counts and histograms of the time from this command to each
 *            connection's first frame (`openHist`) and to its catching up (`caughtUpHist`)
 *   window {firstSeq, checkOrder, resetLast}
 *            starts a measurement window: counters and histogram reset; events with s >= firstSeq
 *            are counted; with checkOrder false (HTTP publishing from several connections) only
 *            counts and latency are kept
 *   await {lastSeq, timeoutMs}
 *            answers when every reading connection has seen s >= lastSeq, or at the timeout, with
 *            the window's figures
 *   close    destroys every connection
 */
import { connect as http2Connect } from 'node:http2';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Histogram } from '../lib/histogram.mjs';
import { serveCommands } from '../lib/command-child.mjs';

const HEAD = 0;
const SIZE = 1;
const DATA = 2;
const CRLF = 3;
const IDENTITY = 4;
const DONE = 5;

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const conns = [];
const hist = new Histogram();
let windowFirst = Infinity;
let checkOrder = true;
let delivered = 0;
let missed = 0;
let outOfOrder = 0;
let unexpectedClose = 0;
let badFrames = 0;
let bytes = 0;
let awaiting = null; // {target, resolve}
let reached = 0; // reading connections whose last >= awaiting.target

function frame(c, text, start, end, nowMs) {
  let d = text.indexOf('data: ', start);
  if (d < 0 || d >= end) return 0; // retry:, id-only, comment: not an event of ours
  d += 6;
  const si = text.indexOf('"s":', d);
  const ti = text.indexOf('"t":', d);
  if (si < 0 || ti < 0 || si > end || ti > end) {
    badFrames++;
    return 0;
  }
  let seq = 0;
  for (let i = si + 4; ; i++) {
    const ch = text.charCodeAt(i) - 48;
    if (ch < 0 || ch > 9) break;
    seq = seq * 10 + ch;
  }
  const t = +text.slice(ti + 4, text.indexOf(',', ti));
  if (checkOrder) {
    const expect = c.last + 1;
    if (seq > expect) {
      if (seq > windowFirst) missed += seq - Math.max(expect, windowFirst);
    } else if (seq < expect) {
      outOfOrder++;
      return 0;
    }
  }
  c.last = seq;
  if (seq >= windowFirst) {
    delivered++;
    hist.record(nowMs - t);
    if (awaiting && !c.reached && seq >= awaiting.target) {
      c.reached = true;
      if (++reached >= readingCount) settleAwait(true);
    }
  }
  // Last: catching up may answer the connect command, with this event counted.
  if (seq >= c.catchUpSeq) c.caughtUp(nowMs);
  return 1;
}

function feed(c, s, nowMs) {
  const text = c.rest.length ? c.rest + s : s;
  let pos = 0;
  for (;;) {
    const end = text.indexOf('\n\n', pos);
    if (end < 0) break;
    if (c.waitFrame) {
      c.waitFrame = false;
      c.opened();
    }
    frame(c, text, pos, end, nowMs);
    pos = end + 2;
  }
  c.rest = pos === 0 ? text : pos >= text.length ? '' : text.slice(pos);
  if (c.rest.length > 1 << 20) {
    badFrames++;
    c.rest = '';
  }
}

/**
 * One read of `len` bytes in `buf`. The buffer is shared by every socket (net's `onread`), so
 * nothing may keep a reference to it: what is kept is decoded to strings or copied.
 */
function onData(c, buf, len) {
  const nowMs = performance.timeOrigin + performance.now();
  bytes += len;
  let off = 0;
  if (c.state === HEAD) {
    const head = c.head
      ? Buffer.concat([c.head, buf.subarray(0, len)])
      : Buffer.from(buf.subarray(0, len));
    const i = head.indexOf('\r\n\r\n');
    if (i < 0) {
      c.head = head;
      return;
    }
    c.head = null;
    const text = head.latin1Slice(0, i);
    const status = Number(text.slice(9, 12));
    if (status !== 200) {
      c.fail(`HTTP ${status}`);
      return;
    }
    c.state = /\r\ntransfer-encoding:\s*chunked/i.test(text) ? SIZE : IDENTITY;
    if (!c.waitFrame) c.opened();
    buf = head;
    len = head.length;
    off = i + 4;
  }
  if (c.state === IDENTITY) {
    feed(c, buf.latin1Slice(off, len), nowMs);
    return;
  }
  while (off < len) {
    if (c.state === SIZE) {
      let nl = buf.indexOf(10, off);
      if (nl >= len) nl = -1;
      if (nl < 0) {
        c.sizeLine += buf.latin1Slice(off, len);
        return;
      }
      const line = c.sizeLine + buf.latin1Slice(off, nl);
      c.sizeLine = '';
      off = nl + 1;
      const size = parseInt(line, 16);
      if (size === 0) {
        c.state = DONE;
        return;
      }
      if (!(size > 0)) {
        badFrames++;
        c.state = DONE;
        return;
      }
      c.remaining = size;
      c.state = DATA;
    } else if (c.state === DATA) {
      const end = Math.min(len, off + c.remaining);
      feed(c, buf.latin1Slice(off, end), nowMs);
      c.remaining -= end - off;
      off = end;
      if (c.remaining === 0) {
        c.state = CRLF;
        c.remaining = 2;
      }
    } else if (c.state === CRLF) {
      const n = Math.min(c.remaining, len - off);
      off += n;
      c.remaining -= n;
      if (c.remaining === 0) c.state = SIZE;
    } else {
      return;
    }
  }
}

/** Open connections that read (not slow); kept as a count, as the await check runs per frame. */
let readingCount = 0;

function settleAwait(done) {
  if (!awaiting) return;
  const { resolve, timer } = awaiting;
  clearTimeout(timer);
  awaiting = null;
  resolve(done);
}

function openConnections({
  host,
  port,
  path,
  count,
  slow = 0,
  fromSeq = 0,
  readyOn = 'headers',
  localAddresses = [],
  concurrency = 200,
  timeoutMs = 60_000,
  cursors = null,
  catchUpSeq = null,
  http2 = false,
  streamsPerSession = 100,
}) {
  return new Promise((resolve) => {
    let started = 0;
    let inFlight = 0;
    let opened = 0;
    let failed = 0;
    let caughtUp = 0;
    const errors = [];
    const base = conns.length;
    const t0 = performance.timeOrigin + performance.now();
    const openHist = new Histogram();
    const caughtUpHist = new Histogram();
    const timer = setTimeout(() => finish(), timeoutMs);
    let finished = false;
    const settled = () => (catchUpSeq === null ? opened : caughtUp) + failed >= count;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const answer = { opened, failed, errors: errors.slice(0, 5), timedOut: !settled() };
      if (catchUpSeq !== null) {
        Object.assign(answer, report(settled(), 0, 0), {
          caughtUp,
          openHist: openHist.toJSON(),
          caughtUpHist: caughtUpHist.toJSON(),
        });
      }
      resolve(answer);
    };
    const head = `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n`;
    const plainRequest = `${head}\r\n`;
    const cursorRequest = (cursor) => `${head}Last-Event-ID: ${cursor.lastEventId}\r\n\r\n`;
    const next = () => {
      while (inFlight < concurrency && started < count) {
        const index = started++;
        inFlight++;
        const isSlow = index < slow;
        const cursor = cursors?.[(base + index) % cursors.length];
        const localAddress = localAddresses.length
          ? localAddresses[(base + index) % localAddresses.length]
          : undefined;
        const c = {
          socket: null,
          slow: isSlow,
          state: HEAD,
          head: null,
          sizeLine: '',
          remaining: 0,
          rest: '',
          // The first event this connection must see: the next one the server will publish, or
          // the one after its cursor.
          last: cursor ? cursor.afterSeq : fromSeq - 1,
          reached: false,
          catchUpSeq: catchUpSeq ?? Infinity,
          // 'frame': ready at the first complete frame (the server's opening frame), not the headers.
          waitFrame: readyOn === 'frame',
          closed: false,
          isOpen: false,
          opened() {
            if (c.isOpen) return;
            c.isOpen = true;
            opened++;
            if (!c.slow) {
              c.counted = true;
              readingCount++;
            }
            inFlight--;
            openHist.record(performance.timeOrigin + performance.now() - t0);
            // Nothing to catch up on: caught up as it opens.
            if (c.last >= c.catchUpSeq) c.caughtUp(performance.timeOrigin + performance.now());
            if (settled()) finish();
            else next();
          },
          caughtUp(nowMs) {
            c.catchUpSeq = Infinity;
            caughtUp++;
            caughtUpHist.record(nowMs - t0);
            if (settled()) finish();
          },
          fail(reason) {
            if (errors.length < 5) errors.push(reason);
            if (!c.isOpen) {
              c.isOpen = true; // counted once
              failed++;
              inFlight--;
              if (settled()) finish();
              else next();
            }
            c.socket.destroy();
          },
        };
        conns.push(c);
        if (http2) {
          const session = sessionFor(host, port, localAddress, base + index, streamsPerSession);
          openStream(c, session, path, cursor, isSlow);
        } else {
          openSocket(c, host, port, localAddress, cursor ? cursorRequest(cursor) : plainRequest);
        }
        c.socket.on('error', (err) => c.fail(err.code ?? String(err)));
        c.socket.on('close', () => {
          if (!c.isOpen) c.fail('closed before headers');
          if (!c.closed) {
            c.closed = true;
            if (c.counted) {
              readingCount--;
              if (c.reached) reached--;
              unexpectedClose++;
              if (awaiting && reached >= readingCount) settleAwait(true);
            }
          }
        });
      }
    };
    next();
  });
}

/** One HTTP/1.1 connection per stream, on a raw socket whose reads go to `onData`. */
function openSocket(c, host, port, localAddress, request) {
  // Reads land in one shared buffer: no allocation per read.
  const options = {
    host,
    port,
    noDelay: true,
    onread: { buffer: READ_BUFFER, callback: (n, buf) => onData(c, buf, n) },
  };
  if (localAddress) options.localAddress = localAddress;
  const socket = connect(options);
  c.socket = socket;
  socket.on('connect', () => {
    socket.write(request);
    if (c.slow) {
      // Never reads: the kernel buffers fill, then the server's.
      socket.pause();
      c.opened();
    }
  });
}

/** HTTP/2 sessions (h2c), each carrying up to `streamsPerSession` streams, as a browser's tabs. */
const sessions = new Map();

function sessionFor(host, port, localAddress, index, streamsPerSession) {
  const key = Math.floor(index / streamsPerSession);
  let session = sessions.get(key);
  if (!session) {
    session = http2Connect(`http://${host}:${port}`, {
      localAddress,
      peerMaxConcurrentStreams: streamsPerSession,
    });
    // Its streams report their own errors.
    session.on('error', () => undefined);
    sessions.set(key, session);
  }
  return session;
}

/**
 * One stream of `session`: HTTP/2 frames it (no chunks), so its data goes to the frame parser as
 * it comes. A slow one is paused once its headers are in: its window fills, then the server's
 * stream holds the rest (the session's other streams go on).
 */
function openStream(c, session, path, cursor, isSlow) {
  const headers = { ':path': path, accept: 'text/event-stream', 'cache-control': 'no-cache' };
  if (cursor) headers['last-event-id'] = cursor.lastEventId;
  const stream = session.request(headers);
  c.socket = stream;
  c.state = IDENTITY;
  stream.on('response', (h) => {
    const status = h[':status'];
    if (status !== 200) {
      c.fail(`HTTP ${status}`);
    } else if (isSlow) {
      stream.pause();
      c.opened();
    } else if (!c.waitFrame) {
      c.opened();
    }
  });
  if (!isSlow) {
    stream.on('data', (buf) => {
      bytes += buf.length;
      feed(c, buf.latin1Slice(0, buf.length), performance.timeOrigin + performance.now());
    });
  }
}

let cpuAtWindow = process.cpuUsage();
let wallAtWindow = performance.now();

function report(done, late, lateConns) {
  const cpu = process.cpuUsage(cpuAtWindow);
  return {
    done,
    delivered,
    missed,
    outOfOrder,
    late,
    lateConns,
    unexpectedClose,
    badFrames,
    bytes,
    reading: readingCount,
    slowOpen: conns.filter((c) => c.slow && !c.closed).length,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - wallAtWindow) / 1000,
    histogram: hist.toJSON(),
  };
}

const handlers = {
  connect: (msg) => openConnections(msg),
  window: async ({ firstSeq, checkOrder: order = true, resetLast = false }) => {
    // resetLast: the next event every connection must see is firstSeq (after an unordered phase).
    if (resetLast) for (const c of conns) c.last = firstSeq - 1;
    windowFirst = firstSeq;
    checkOrder = order;
    hist.reset();
    delivered = missed = outOfOrder = unexpectedClose = badFrames = bytes = 0;
    for (const c of conns) c.reached = false;
    cpuAtWindow = process.cpuUsage();
    wallAtWindow = performance.now();
    return {};
  },
  await: async ({ lastSeq, expectDelivered, timeoutMs }) => {
    if (expectDelivered != null) {
      // Unordered publishing (HTTP from several connections): wait for the count.
      const deadline = performance.now() + timeoutMs;
      while (delivered < expectDelivered && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return report(delivered >= expectDelivered, 0, 0);
    }
    reached = 0;
    for (const c of conns) {
      c.reached = !c.slow && !c.closed && c.last >= lastSeq;
      if (c.reached) reached++;
    }
    let done = reached >= readingCount;
    if (!done) {
      done = await new Promise((resolve) => {
        awaiting = {
          target: lastSeq,
          resolve,
          timer: setTimeout(() => settleAwait(false), timeoutMs),
        };
      });
    }
    // What is still missing on connections that are open: late, not lost.
    let late = 0;
    let lateConns = 0;
    for (const c of conns) {
      if (c.slow || c.closed) continue;
      if (c.last < lastSeq) {
        late += lastSeq - Math.max(c.last, windowFirst - 1);
        lateConns++;
      }
    }
    return report(done, late, lateConns);
  },
  shutdown: async () => {
    setImmediate(() => process.exit(0));
    return {};
  },
  close: async () => {
    for (const c of conns) {
      // Their 'close' events come later and must count for nothing.
      c.counted = false;
      c.closed = true;
      c.socket.destroy();
    }
    for (const session of sessions.values()) session.destroy();
    sessions.clear();
    conns.length = 0;
    readingCount = 0;
    reached = 0;
    return {};
  },
};

serveCommands(handlers, {});
