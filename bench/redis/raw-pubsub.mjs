/**
 * The Redis references of scenarios G and H: plain ioredis, the same payloads as Ripple's, measured
 * in the same run. On one Redis (`url`), PUBLISH -> SUBSCRIBE; on a cluster (`seeds`, a
 * comma-separated list of redis:// URLs), SPUBLISH -> SSUBSCRIBE through ioredis's Cluster client
 * (each command sent to the master that owns the channel's slot; `shardedSubscribers` keeps one
 * subscriber connection per master). Events go round-robin over `channels`, event s to channel
 * s % channels.length, so each channel's sequence steps by the channel count. One process per role
 * (the orchestrator starts a subscriber and a publisher). Commands:
 *   subscriber: subscribe {url | seeds, channels} (again for another set of channels, which
 *               are published to together); window {}; await {count, timeoutMs} ->
 *               {received, missed, outOfOrder, histogram}
 *   publisher:  connect {url | seeds}; rate {channels, rate, durationMs, payloadBytes} ->
 *               {published}; tight {channels, durationMs, inflight, payloadBytes} ->
 *               {published, elapsedMs}
 */
import { performance } from 'node:perf_hooks';
import { Cluster, Redis } from 'ioredis';
import { Histogram } from '../lib/histogram.mjs';
import { padFor } from '../lib/payload.mjs';
import { serveCommands } from '../lib/command-child.mjs';

let redis = null;
let sharded = false;
let seq = 0;
const hist = new Histogram();
let received = 0;
let missed = 0;
let outOfOrder = 0;
/** The last sequence number seen on each channel, and the step between two on each channel. */
const lastOf = new Map();
const strideOf = new Map();
let firstOfWindow = 0;

async function connect({ url, seeds, subscriber = false }) {
  sharded = Boolean(seeds);
  redis = sharded
    ? new Cluster(
        seeds.split(',').map((seed) => {
          const { hostname, port } = new URL(seed);
          return { host: hostname, port: Number(port) };
        }),
        {
          lazyConnect: true,
          shardedSubscribers: subscriber,
          redisOptions: { maxRetriesPerRequest: 1 },
        },
      )
    : new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', (err) => console.error(`redis: ${err.message}`));
  redis.on(sharded ? 'smessage' : 'message', onMessage);
  await redis.connect();
}

function onMessage(channel, message) {
  const nowMs = performance.timeOrigin + performance.now();
  const s = Number(message.slice(5, message.indexOf(',')));
  const ti = message.indexOf('"t":');
  const t = +message.slice(ti + 4, message.indexOf(',', ti));
  const last = lastOf.get(channel) ?? -1;
  const stride = strideOf.get(channel) ?? 1;
  if (s > last + stride && last >= 0) missed += (s - last) / stride - 1;
  else if (s <= last) outOfOrder++;
  lastOf.set(channel, s);
  if (s >= firstOfWindow) {
    received++;
    hist.record(nowMs - t);
  }
}

function publishOne(channels, pad) {
  const t = performance.timeOrigin + performance.now();
  const s = seq++;
  const message = `{"s":${s},"t":${t},"p":"${pad}"}`;
  const channel = channels[s % channels.length];
  return sharded ? redis.spublish(channel, message) : redis.publish(channel, message);
}

const handlers = {
  subscribe: async ({ url, seeds, channels }) => {
    if (!redis) await connect({ url, seeds, subscriber: true });
    for (const channel of channels) strideOf.set(channel, channels.length);
    if (sharded) {
      // One at a time: ioredis's cluster client refuses channels of several slots in one command.
      for (const channel of channels) await redis.ssubscribe(channel);
    } else {
      await redis.subscribe(...channels);
    }
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
  connect: async ({ url, seeds }) => {
    await connect({ url, seeds });
    return { nextSeq: seq };
  },
  rate: async ({ channels, rate, durationMs, payloadBytes = 100 }) => {
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
        for (; k < due; k++) publishOne(channels, pad).catch(() => errors++);
        if (k >= ticks) return resolve();
        setTimeout(step, Math.max(0, start + k * intervalMs - performance.now()));
      };
      step();
    });
    return { firstSeq, lastSeq: seq - 1, published: seq - firstSeq, errors };
  },
  tight: async ({ channels, durationMs, inflight = 64, payloadBytes = 100 }) => {
    const pad = padFor(payloadBytes);
    const firstSeq = seq;
    const start = performance.now();
    const end = start + durationMs;
    let errors = 0;
    while (performance.now() < end) {
      const batch = [];
      for (let i = 0; i < inflight; i++) {
        batch.push(publishOne(channels, pad).catch(() => errors++));
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
