/**
 * The HTTP publisher of scenario F: `connections` keep-alive connections, each sending
 * POST /events/<topic> {"data": <bench payload>} and the next one as soon as the answer is in,
 * for durationMs. With `batch` > 0, each request is a batch of that many events instead,
 * POST /events {"events": [{"topic", "data"}, ...]} (Ripple's batch route), and `accepted` counts
 * events. A minimal HTTP/1.1 client on raw TCP, so the publisher's own CPU stays small.
 * Command: run {host, port, topic, connections, durationMs, payloadBytes, batch}
 *   -> {accepted (events in 201s), rejected, statusCounts, elapsedMs, firstError}
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { padFor } from '../lib/payload.mjs';

let seq = 0;

function payload(t, pad) {
  return `{"s":${seq++},"t":${t},"p":"${pad}"}`;
}

function batchBody(topic, count, t, pad) {
  const events = [];
  for (let i = 0; i < count; i++) events.push(`{"topic":"${topic}","data":${payload(t, pad)}}`);
  return `{"events":[${events.join(',')}]}`;
}

function run({ host, port, topic, connections = 8, durationMs, payloadBytes = 100, batch = 0 }) {
  const pad = padFor(payloadBytes);
  const start = performance.now();
  const end = start + durationMs;
  let accepted = 0;
  let rejected = 0;
  let firstError = null;
  const statusCounts = {};
  let live = connections;
  return new Promise((resolve) => {
    const finish = () => {
      if (--live > 0) return;
      resolve({
        accepted,
        rejected,
        statusCounts,
        elapsedMs: performance.now() - start,
        firstError,
      });
    };
    const path = batch > 0 ? '/events' : `/events/${topic}`;
    const head = `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: `;
    for (let i = 0; i < connections; i++) {
      const socket = connect({ host, port, noDelay: true });
      let buf = '';
      let done = false;
      const stop = (err) => {
        if (done) return;
        done = true;
        if (err) firstError ??= String(err);
        socket.destroy();
        finish();
      };
      const send = () => {
        if (performance.now() >= end) return stop();
        const t = performance.timeOrigin + performance.now();
        const body = batch > 0 ? batchBody(topic, batch, t, pad) : `{"data":${payload(t, pad)}}`;
        socket.write(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      socket.setEncoding('latin1');
      socket.on('connect', send);
      socket.on('data', (chunk) => {
        buf += chunk;
        for (;;) {
          const h = buf.indexOf('\r\n\r\n');
          if (h < 0) return;
          const headers = buf.slice(0, h);
          const status = Number(headers.slice(9, 12));
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
          let total;
          if (m) {
            total = h + 4 + Number(m[1]);
          } else {
            const z = buf.indexOf('\r\n0\r\n\r\n', h);
            if (z < 0) return;
            total = z + 7;
          }
          if (buf.length < total) return;
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          if (status === 201) accepted += batch > 0 ? batch : 1;
          else {
            rejected++;
            firstError ??= `HTTP ${status}: ${buf.slice(h + 4, total).slice(0, 200)}`;
          }
          buf = buf.slice(total);
          send();
        }
      });
      socket.on('error', (err) => stop(err.code ?? err));
      socket.on('close', () => stop(done ? undefined : 'closed by server'));
    }
  });
}

process.on('message', (msg) => {
  if (msg?.cmd === 'shutdown') {
    process.send({ id: msg.id, ok: true });
    setImmediate(() => process.exit(0));
    return;
  }
  if (msg?.cmd !== 'run') {
    process.send({ id: msg?.id, ok: false, error: `unknown command ${msg?.cmd}` });
    return;
  }
  run(msg).then((result) => process.send({ id: msg.id, ok: true, ...result }));
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', pid: process.pid });
