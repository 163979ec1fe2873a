/**
 * The Redis reference of scenario G: plain ioredis PUBLISH -> SUBSCRIBE on one channel, the same
 * payloads as Ripple's, measured in the same run. One process per role (the orchestrator starts a
 * subscriber and a publisher). Commands:
 *   subscriber: subscribe {url, channel}; window {}; await {count, timeoutMs} -> {received,
 *               missed, outOfOrder, histogram}
 *   publisher:  connect {url}; rate {channel, rate, durationMs, payloadBytes} -> {published};
 *               tight {channel, durationMs, inflight, payloadBytes} -> {published, elapsedMs}
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Histogram } from '../lib/histogram.mjs';
import { padFor } from '../lib/payload.mjs';
import { serveCommands } from '../lib/command-child.mjs';

let redis = null;
let seq = 0;
const hist = new Histogram();
let received = 0;
let missed = 0;
let outOfOrder = 0;
let last = -1;
let firstOfWindow = 0;

function client(url) {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', (err) => console.error(`redis: ${err.message}`));
  return r;
}

const handlers = {
  subscribe: async ({ url, channel }) => {
    redis = client(url);
    await redis.connect();
    redis.on('message', (_channel, message) => {
      const nowMs = performance.timeOrigin + performance.now();
      const s = Number(message.slice(5, message.indexOf(',')));
      const ti = message.indexOf('"t":');
      const t = +message.slice(ti + 4, message.indexOf(',', ti));
      if (s > last + 1 && last >= 0) missed += s - last - 1;
      else if (s <= last) outOfOrder++;
      last = s;
      if (s >= firstOfWindow) {
        received++;
        hist.record(nowMs - t);
      }
    });
    await redis.subscribe(channel);
    return {};
  },
  window: async ({ firstSeq = 0 }) => {
    firstOfWindow = firstSeq;
    received = missed = outOfOrder = 0;
    hist.reset();
    return {};
  },
  await: async ({ count, timeoutMs }) => {
    const deadline = performance.now() + timeoutMs;
    while (received < count && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { done: received >= count, received, missed, outOfOrder, histogram: hist.toJSON() };
  },
  connect: async ({ url }) => {
    redis = client(url);
    await redis.connect();
    return { nextSeq: seq };
  },
  rate: async ({ channel, rate, durationMs, payloadBytes = 100 }) => {
    const pad = padFor(payloadBytes);
    const intervalMs = 1000 / rate;
    const ticks = Math.max(1, Math.round(durationMs / intervalMs));
    const firstSeq = seq;
    const start = performance.now();
    let k = 0;
    let errors = 0;
    await new Promise((resolve) => {
      const step = () => {
        const now = performance.now();
        const due = Math.min(ticks, Math.floor((now - start) / intervalMs) + 1);
        for (; k < due; k++) {
          const t = performance.timeOrigin + performance.now();
          redis.publish(channel, `{"s":${seq++},"t":${t},"p":"${pad}"}`).catch(() => errors++);
        }
        if (k >= ticks) return resolve();
        setTimeout(step, Math.max(0, start + k * intervalMs - performance.now()));
      };
      step();
    });
    return { firstSeq, lastSeq: seq - 1, published: seq - firstSeq, errors };
  },
  tight: async ({ channel, durationMs, inflight = 64, payloadBytes = 100 }) => {
    const pad = padFor(payloadBytes);
    const firstSeq = seq;
    const start = performance.now();
    const end = start + durationMs;
    let errors = 0;
    while (performance.now() < end) {
      const batch = [];
      for (let i = 0; i < inflight; i++) {
        const t = performance.timeOrigin + performance.now();
        batch.push(
          redis.publish(channel, `{"s":${seq++},"t":${t},"p":"${pad}"}`).catch(() => errors++),
        );
      }
      await Promise.all(batch);
    }
    return {
      firstSeq,
      lastSeq: seq - 1,
      published: seq - firstSeq,
      elapsedMs: performance.now() - start,
      errors,
    };
  },
  shutdown: async () => {
    await redis?.quit().catch(() => undefined);
    setImmediate(() => process.exit(0));
    return {};
  },
};

serveCommands(handlers, {});
