/**
 * The control side of every bench server (Ripple, the raw baselines, the Nest @Sse() baseline):
 * an IPC channel to the orchestrator and an in-process publisher. Each server supplies:
 *   publish(seq, t, pad)  publishes one event (may return a Promise)
 *   cursor(seq, stored)   optional, for servers that keep history: the Last-Event-ID a client sends
 *                         to resume after event `seq`, in the server's own format (`stored`: what
 *                         publish resolved to)
 *   endTick()             optional: called after each publisher tick (the corked baseline flushes)
 *   subscribers()         open SSE connections on this server
 *   close()               stops the server
 *
 * Commands (orchestrator -> server), each answered with {id, ok, ...}:
 *   stats                 {subscribers, nextSeq, rss, heapUsed}
 *   gc                    runs a full GC (the servers start with --expose-gc), then stats
 *   elu-start / elu-stop  event-loop utilisation over the window between the two
 *   publish {rate, burst, durationMs, payloadBytes}
 *                         `burst` events every 1000*burst/rate ms, open loop: late ticks are
 *                         caught up, so the offered load does not drop when the server falls
 *                         behind. Answers when done: {firstSeq, lastSeq, published, lagP99Ms, ...}
 *   tight {durationMs, inflight, payloadBytes, topics}
 *                         publishes as fast as it can for durationMs: batches of `inflight`
 *                         publishes, awaited together, with a setImmediate between batches so
 *                         sockets get written; with `topics` (servers that take a topic), event
 *                         s to topics[s % topics.length]. Answers {published, elapsedMs, firstSeq,
 *                         lastSeq}
 *   seed {count, payloadBytes, intervalMs}
 *                         publishes `count` events one after the other (each awaited, `intervalMs`
 *                         apart), answers {firstSeq, lastSeq, cursors}: cursors[i] is the
 *                         Last-Event-ID that resumes after event firstSeq + i (scenario S)
 *   profile-start / profile-stop {path}
 *                         a CPU profile of the window between the two (node:inspector), written
 *                         to `path` as a .cpuprofile: what --cpu-prof records, without the boot
 *   shutdown              close() and exit
 * The process exits when the orchestrator goes away (IPC disconnect), so no server outlives a run.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { padFor } from './payload.mjs';
import { serveCommands } from './command-child.mjs';

export function serveBench(name, hooks, port) {
  if (!process.send) throw new Error(`${name}: must be started by bench/run.mjs (no IPC channel)`);
  let nextSeq = 0;
  let eluStart = null;
  let errors = 0;
  let firstError = null;

  const onError = (err) => {
    errors++;
    firstError ??= String(err?.stack ?? err);
  };

  const publishOne = (pad, topics) => {
    const seq = nextSeq++;
    const topic = topics?.[seq % topics.length];
    const result = hooks.publish(seq, performance.timeOrigin + performance.now(), pad, topic);
    if (result && typeof result.then === 'function') result.then(undefined, onError);
    return result;
  };

  const stats = () => {
    const mem = process.memoryUsage();
    return { subscribers: hooks.subscribers(), nextSeq, rss: mem.rss, heapUsed: mem.heapUsed };
  };

  function runSchedule({ rate, burst = 1, durationMs, payloadBytes = 100 }) {
    const pad = padFor(payloadBytes);
    const intervalMs = (1000 * burst) / rate;
    const ticks = Math.max(1, Math.round(durationMs / intervalMs));
    const firstSeq = nextSeq;
    const errorsBefore = errors;
    const lags = [];
    let k = 0;
    const start = performance.now();
    return new Promise((resolve) => {
      const step = () => {
        try {
          const now = performance.now();
          const due = Math.min(ticks, Math.floor((now - start) / intervalMs) + 1);
          while (k < due) {
            lags.push(now - (start + k * intervalMs));
            for (let i = 0; i < burst; i++) publishOne(pad);
            hooks.endTick?.();
            k++;
          }
          if (k >= ticks) {
            lags.sort((a, b) => a - b);
            resolve({
              firstSeq,
              lastSeq: nextSeq - 1,
              published: nextSeq - firstSeq,
              ticks,
              elapsedMs: performance.now() - start,
              lagP50Ms: lags[Math.floor(lags.length * 0.5)],
              lagP99Ms: lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))],
              errors: errors - errorsBefore,
              firstError,
            });
            return;
          }
          setTimeout(step, Math.max(0, start + k * intervalMs - performance.now()));
        } catch (err) {
          onError(err);
          resolve({
            firstSeq,
            lastSeq: nextSeq - 1,
            published: nextSeq - firstSeq,
            errors: errors - errorsBefore,
            firstError,
          });
        }
      };
      step();
    });
  }

  async function runTight({ durationMs, inflight = 64, payloadBytes = 100, topics }) {
    const pad = padFor(payloadBytes);
    const firstSeq = nextSeq;
    const errorsBefore = errors;
    const start = performance.now();
    const end = start + durationMs;
    const batch = [];
    while (performance.now() < end) {
      for (let i = 0; i < inflight; i++) {
        const r = publishOne(pad, topics);
        if (r && typeof r.then === 'function') batch.push(r);
      }
      hooks.endTick?.();
      if (batch.length) {
        await Promise.allSettled(batch);
        batch.length = 0;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const elapsedMs = performance.now() - start;
    return {
      firstSeq,
      lastSeq: nextSeq - 1,
      published: nextSeq - firstSeq,
      elapsedMs,
      errors: errors - errorsBefore,
      firstError,
    };
  }

  async function seed({ count, payloadBytes = 100, intervalMs = 0 }) {
    if (!hooks.cursor) throw new Error(`${name} keeps no history: no cursor to resume from`);
    const pad = padFor(payloadBytes);
    const firstSeq = nextSeq;
    const cursors = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
      const seq = nextSeq;
      const stored = await publishOne(pad);
      hooks.endTick?.();
      cursors.push(hooks.cursor(seq, stored));
    }
    return { firstSeq, lastSeq: nextSeq - 1, cursors };
  }

  let profiler = null;

  const handlers = {
    stats: async () => stats(),
    gc: async () => {
      if (globalThis.gc) {
        globalThis.gc();
        await new Promise((resolve) => setImmediate(resolve));
        globalThis.gc();
      }
      return stats();
    },
    'elu-start': async () => {
      eluStart = performance.eventLoopUtilization();
      return {};
    },
    'elu-stop': async () => ({
      elu: eluStart ? performance.eventLoopUtilization(eluStart).utilization : null,
    }),
    publish: (msg) => runSchedule(msg),
    tight: (msg) => runTight(msg),
    seed: (msg) => seed(msg),
    'profile-start': async () => {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return {};
    },
    'profile-stop': async ({ path }) => {
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = null;
      writeFileSync(path, JSON.stringify(profile));
      return { path };
    },
    shutdown: async () => {
      // A second at most: a graceful close is not what is measured, and the process exits anyway.
      await Promise.race([hooks.close(), new Promise((resolve) => setTimeout(resolve, 1000))]);
      setImmediate(() => process.exit(0));
      return {};
    },
  };

  serveCommands(handlers, { name, port });
}
