/**
 * The raw node:http baselines. No framework, one topic, no flow control.
 *   raw.mjs           encodes each frame once (a Buffer) and res.write()s it to every client
 *   raw.mjs --corked  encodes each frame once *with its HTTP chunk header and trailer*, writes it
 *                     straight to the sockets, and corks each socket for the whole publisher tick,
 *                     so the events of one tick leave in one write per socket
 *   raw.mjs --h2      as raw.mjs, over cleartext HTTP/2 (h2c, node:http2's compatibility API, the
 *                     one Fastify's `http2` option serves): res.write() per stream, each stream a
 *                     DATA frame on its client's session (no Connection header, forbidden in h2)
 * Routes: GET /events (any query) streams; POST /events/:topic {"data": ...} publishes (201).
 * History only with BENCH_HISTORY=K (scenario S): the last K frames, and a GET with a Last-Event-ID
 * (the sequence number of the last event seen) gets those after it, in the write that carries the
 * opening, then live. Without it (every other scenario) nothing is kept.
 */
import { createServer } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';
import { serveBench } from '../lib/server-control.mjs';

const corked = process.argv.includes('--corked');
const h2 = process.argv.includes('--h2');
const HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  ...(h2 ? {} : { Connection: 'keep-alive' }),
  'X-Accel-Buffering': 'no',
};
/** HTTP/2 sessions, closed with the server (an HTTP/2 server has no closeAllConnections). */
const sessions = new Set();
const OPENING = Buffer.from('retry: 2000\n\n');
const historySize = Number(process.env.BENCH_HISTORY) || 0;
/** The last `historySize` frames, oldest first, as {seq, frame}: sequence numbers without gaps. */
const history = [];

/** res objects (plain) or sockets (corked). */
const clients = new Set();
let pending = [];
let flushScheduled = false;
let httpIds = 0;

function chunk(body) {
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
}

function frameText(id, json) {
  return `id: ${id}\ndata: ${json}\n\n`;
}

function flush() {
  flushScheduled = false;
  const frames = pending;
  pending = [];
  if (frames.length === 0) return;
  if (frames.length === 1) {
    const buf = frames[0];
    for (const socket of clients) socket.write(buf);
    return;
  }
  for (const socket of clients) {
    socket.cork();
    for (const buf of frames) socket.write(buf);
    socket.uncork();
  }
}

/** The frames after `lastEventId`, with the opening before them, as one Buffer. */
function opening(lastEventId) {
  if (!historySize || history.length === 0 || !/^\d{1,15}$/.test(lastEventId ?? '')) return OPENING;
  // A cursor older than the history: live from now (Ripple says so with a reset frame first).
  const from = Math.max(0, Number(lastEventId) + 1 - history[0].seq);
  if (from >= history.length) return OPENING;
  return Buffer.concat([OPENING, ...history.slice(from).map((e) => e.frame)]);
}

function publishText(id, json) {
  const frame = Buffer.from(frameText(id, json));
  if (historySize) {
    history.push({ seq: Number(id), frame });
    if (history.length > historySize) history.shift();
  }
  if (corked) {
    pending.push(chunk(frame));
    // The publisher's tick calls endTick(); an HTTP publish flushes on the next tick.
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flush);
    }
  } else {
    for (const res of clients) res.write(frame);
  }
}

const server = (h2 ? createH2cServer : createServer)((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/events')) {
    req.socket.setNoDelay(true);
    const first = opening(req.headers['last-event-id']);
    if (corked) {
      res.writeHead(200, { ...HEADERS, 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      const socket = req.socket;
      socket.write(chunk(first));
      clients.add(socket);
      res.on('close', () => clients.delete(socket));
    } else {
      res.writeHead(200, HEADERS);
      res.write(first);
      clients.add(res);
      res.on('close', () => clients.delete(res));
    }
    return;
  }
  const m = /^\/events\/([A-Za-z0-9][A-Za-z0-9._:-]{0,127})$/.exec(req.url);
  if (req.method === 'POST' && m) {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"not JSON"}');
        return;
      }
      if (body === null || typeof body !== 'object' || !('data' in body)) {
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"no data"}');
        return;
      }
      const id = String(++httpIds);
      publishText(id, JSON.stringify(body.data));
      const answer = `{"topic":"${m[1]}","id":"${id}"}`;
      res.writeHead(201, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(answer),
      });
      res.end(answer);
    });
    return;
  }
  res.writeHead(404).end();
});
if (h2) {
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
} else {
  server.keepAliveTimeout = 60_000;
}

server.listen(0, '127.0.0.1', () => {
  serveBench(
    corked ? 'corked' : h2 ? 'raw-h2' : 'raw',
    {
      publish: (seq, t, p) => publishText(String(seq), `{"s":${seq},"t":${t},"p":"${p}"}`),
      cursor: historySize ? (seq) => String(seq) : undefined,
      endTick: corked ? flush : undefined,
      subscribers: () => clients.size,
      close: () =>
        new Promise((resolve) => {
          for (const c of clients) c.destroy();
          for (const session of sessions) session.destroy();
          server.closeAllConnections?.();
          server.close(() => resolve());
        }),
    },
    server.address().port,
  );
});
