/**
 * Over HTTP/2, is the fast path worth keeping? One question, measured apart from the full bench:
 * the fan-out's direct loop (one encoded frame, its plain bytes written to every HTTP/2 stream of
 * the topic: `direct`) against the fast path stepping aside for HTTP/2 (each stream gets the event
 * as a signal through its membership and writes it itself, as multi-topic streams do: `aside`).
 * `h1` is the direct loop over HTTP/1.1 on the same writer, for scale.
 *
 *   node bench/h2-fast-path.mjs [--streams=1000] [--sessions=10] [--rate=100] [--seconds=5]
 *                               [--reps=3] [--modes=direct,aside,h1]
 *
 * Needs `npm run build` (it loads dist/). Each run is a child process (the server: the hub of
 * `SseModule.forRoot()` in memory, an h2c or HTTP/1.1 server, one SseConnection per request as
 * Ripple's writer makes it, the publisher), pinned to CPU 0 where taskset exists; the clients are
 * this process (CPU 1). The figure is deliveries per server CPU-second (utime + stime from /proc
 * over the window, which lasts until every stream has every event), and the time the topic's fan-out
 * (TopicChannel's loop over its connections, timed in the server) takes per delivery, which is
 * where the modes differ and which a busy machine blurs less; the median of the reps.
 */
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from './lib/procfs.mjs';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [k, v] = a.slice(2).split('=');
      return [k, v ?? 'true'];
    }),
);
const TOPIC = 'bench';
const PAYLOAD = 'x'.repeat(64);

/** The server child: prints its port on IPC, publishes `count` events when told, at `rate`. */
async function serve(mode) {
  const dist = new URL('../dist/', import.meta.url);
  await import('reflect-metadata');
  const { NestFactory } = await import('@nestjs/core');
  const { SseModule, SseHub } = await import(new URL('sse/index.js', dist).href);
  const { SseConnection } = await import(new URL('sse/writer/sse-connection.js', dist).href);
  const { TopicChannel } = await import(new URL('sse/fanout/topic-channel.js', dist).href);
  // The fan-out of each event, timed: the loop that differs between the modes (the writes it
  // makes, corked, and their uncork at the end of the turn cost the same in both).
  const fanOut = TopicChannel.prototype.fanOut;
  let fanOutNs = 0n;
  TopicChannel.prototype.fanOut = function (event) {
    const t = process.hrtime.bigint();
    fanOut.call(this, event);
    fanOutNs += process.hrtime.bigint() - t;
  };
  const app = await NestFactory.createApplicationContext(SseModule.forRoot({}), { logger: false });
  const hub = app.get(SseHub);
  const limits = { maxBufferBytes: 1 << 20, writeTimeoutMs: 30_000, maxAgeMs: 0 };
  const events = { dropped: () => undefined, ended: () => undefined, delivered: () => undefined };
  const onRequest = (request, response) => {
    const stream = hub.stream([TOPIC]);
    // What @RippleSse() decides per route, decided here per mode.
    stream.fastPathAllowed = mode !== 'aside';
    stream.handOverAllowed = true;
    const connection = new SseConnection(response, limits, events);
    connection.watchClient(request.socket);
    connection.start(
      stream,
      () => {
        response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        connection.open();
      },
      () => undefined,
    );
  };
  const server = mode === 'h1' ? http.createServer(onRequest) : http2.createServer({}, onRequest);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', ({ count, rate, report }) => {
    if (report) {
      process.send({ fanOutNs: Number(fanOutNs) });
      return;
    }
    fanOutNs = 0n;
    let seq = 0;
    const timer = setInterval(() => {
      void hub.publish(TOPIC, { s: seq, p: PAYLOAD });
      if (++seq === count) {
        clearInterval(timer);
        process.send({ published: count });
      }
    }, 1000 / rate);
  });
}

/** Opens `streams` streams over `sessions` sessions (h2) or connections (h1), counting frames. */
async function openClients(mode, port, streams, sessions) {
  const counts = new Array(streams).fill(0);
  const opened = [];
  const sessionsOpen = [];
  const count = (i) => {
    let carry = '';
    return (text) => {
      const parts = (carry + text).split('\n\n');
      carry = parts.pop();
      counts[i] += parts.length;
    };
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  for (let i = 0; i < streams; i++) {
    opened.push(
      new Promise((resolve, reject) => {
        const onData = count(i);
        if (mode === 'h1') {
          const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
            res.setEncoding('utf8');
            res.on('data', onData);
            resolve();
          });
          req.on('error', reject);
          sessionsOpen.push(req);
          return;
        }
        const s = i % sessions;
        sessionsOpen[s] ??= http2.connect(`http://127.0.0.1:${port}`, {
          peerMaxConcurrentStreams: streams,
        });
        const req = sessionsOpen[s].request({ ':path': '/' });
        req.setEncoding('utf8');
        req.on('response', () => resolve());
        req.on('data', onData);
        req.on('error', reject);
      }),
    );
  }
  await Promise.all(opened);
  // Every stream has its opening frame: it has joined the live feed.
  await waitFor(() => counts.every((c) => c >= 1), 'every opening', 30_000);
  return {
    counts,
    close: () => {
      for (const s of sessionsOpen) s.destroy();
      agent.destroy();
    },
  };
}

async function waitFor(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function run(mode, o) {
  const pin = hasTaskset() ? ['taskset', '-c', '0'] : [];
  const argv = [process.execPath, fileURLToPath(import.meta.url), `--serve=${mode}`];
  const child = spawn(
    pin[0] ?? argv[0],
    [...pin.slice(1), ...(pin.length ? argv : argv.slice(1))],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  try {
    const { port } = await message(child, 'port');
    const clients = await openClients(mode, port, o.streams, o.sessions);
    const before = clients.counts.map((c) => c);
    const count = o.rate * o.seconds;
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    child.send({ count, rate: o.rate });
    await waitFor(
      () => clients.counts.every((c, i) => c - before[i] >= count),
      'every event on every stream',
      o.seconds * 1000 + 30_000,
    );
    const cpu = cpuSeconds(child.pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    child.send({ report: true });
    const { fanOutNs } = await message(child, 'fanOutNs');
    clients.close();
    const deliveries = count * o.streams;
    return {
      deliveriesPerCpuS: deliveries / cpu,
      cpuShare: cpu / wall,
      fanOutNsPerDelivery: fanOutNs / deliveries,
    };
  } finally {
    child.kill();
  }
}

/** The child's next message that carries `key` (others, as `published`, are not waited for). */
function message(child, key) {
  return new Promise((resolve) => {
    const listener = (m) => {
      if (key in m) {
        child.off('message', listener);
        resolve(m);
      }
    };
    child.on('message', listener);
  });
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const o = {
    streams: Number(args.streams ?? 1000),
    sessions: Number(args.sessions ?? 10),
    rate: Number(args.rate ?? 100),
    seconds: Number(args.seconds ?? 5),
    reps: Number(args.reps ?? 3),
  };
  const modes = (args.modes ?? 'direct,aside,h1').split(',');
  if (hasTaskset()) {
    execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  }
  const results = Object.fromEntries(modes.map((m) => [m, []]));
  // Interleaved, so that a busy moment of the machine does not fall on one mode.
  for (let rep = 0; rep < o.reps; rep++) {
    for (const mode of modes) {
      results[mode].push(await run(mode, o));
    }
  }
  console.log(
    `${o.streams} streams (${o.sessions} HTTP/2 sessions), ${o.rate} ev/s for ${o.seconds} s, ` +
      `median of ${o.reps}`,
  );
  console.log(
    '| mode | deliveries / server CPU-s | server CPU | fan-out ns / delivery | runs (deliveries / CPU-s; ns) |',
  );
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const mode of modes) {
    const rs = results[mode];
    const per = rs.map((r) => r.deliveriesPerCpuS);
    const ns = rs.map((r) => r.fanOutNsPerDelivery);
    console.log(
      `| ${mode} | ${Math.round(median(per))} | ${(100 * median(rs.map((r) => r.cpuShare))).toFixed(0)}% | ` +
        `${Math.round(median(ns))} | ${per.map((x) => Math.round(x)).join(', ')}; ` +
        `${ns.map((x) => Math.round(x)).join(', ')} |`,
    );
  }
}

if (args.serve) {
  await serve(args.serve);
} else {
  await main();
}
