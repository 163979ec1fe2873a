/**
 * The scenarios. Each takes the run context and returns its result record:
 *   { id, title, config, servers: { <server>: { reps: [...], median: {...} } }, notes: [] }
 * Problems that mean the benchmark itself is broken (a process that fails, a lost or reordered
 * event where none may be lost, an error from a publish) go to ctx.fail(); they make the run exit
 * non-zero. Timings never do.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Command } from 'ioredis';
import { canPin, spawnNode } from './children.mjs';
import { Histogram } from './histogram.mjs';
import { join } from 'node:path';
import { cpuSeconds, listenOverflows, rssBytes, rssSampler } from './procfs.mjs';
import { medianRecord, sleep } from './stats.mjs';
import { TOPIC } from './payload.mjs';

/** The servers under test. `ripple` first: the ratios are Ripple's to each of the others. */
export const SERVERS = {
  ripple: {
    script: 'bench/servers/ripple.mjs',
    title: 'Ripple (dist/, @Sse() via SseHub)',
    readyOn: 'frame',
    resumes: true,
  },
  raw: {
    script: 'bench/servers/raw.mjs',
    title: 'raw node:http, encode once, res.write per client',
    readyOn: 'frame',
    resumes: true,
  },
  corked: {
    script: 'bench/servers/raw.mjs',
    args: ['--corked'],
    title: 'raw node:http, encode once with chunk header, corked per tick',
    readyOn: 'frame',
    resumes: true,
  },
  // Nest's tutorial stream sends its headers (and a lone "\n") once it has subscribed; no frame.
  nest: {
    script: 'bench/servers/nest-sse.mjs',
    title: 'NestJS @Sse() over a shared Subject',
    readyOn: 'headers',
  },
  'ripple-fastify': {
    script: 'bench/servers/ripple.mjs',
    env: { RIPPLE_ADAPTER: 'fastify' },
    title: 'Ripple on @nestjs/platform-fastify (RIPPLE_ADAPTER=fastify), HTTP/1.1',
    readyOn: 'frame',
    scenarios: ['A'],
  },
  'ripple-h2': {
    script: 'bench/servers/ripple.mjs',
    env: { RIPPLE_ADAPTER: 'fastify', RIPPLE_HTTP2: 'true' },
    title: 'Ripple on Fastify over HTTP/2 (RIPPLE_HTTP2=true, h2c)',
    readyOn: 'frame',
    http2: true,
    scenarios: ['A'],
  },
  'raw-h2': {
    script: 'bench/servers/raw.mjs',
    args: ['--h2'],
    title: 'raw node:http2 (h2c), encode once, res.write per stream',
    readyOn: 'frame',
    http2: true,
    scenarios: ['A'],
  },
};
// `resumes`: keeps history and resumes a client from its Last-Event-ID (scenario S; the raw
// baselines with BENCH_HISTORY). Nest's tutorial stream has no history.
// `http2`: the load generators open HTTP/2 streams (h2c), STREAMS_PER_SESSION on each session, as
// the streams of one browser share its connection. `scenarios`: the only scenarios the server runs
// in (all when absent): Fastify's and the HTTP/2 servers answer scenario A's question (Fastify beside
// Express, HTTP/2 beside HTTP/1.1). `env`: the server's own environment (Ripple's settings).
// Every Ripple server is dist/main.js booted as `npm run start:prod` boots it, so the adapter and
// HTTP/2 are chosen the way users choose them.
// A connection is ready (subscribed, and live from the next event) once its first frame is in: Ripple
// sends its opening frame (retry: and the starting cursor) after it has joined the topic's live
// feed; before that, an event would go out before the connection's starting position.

const SSE_PATH = `/events?topic=${TOPIC}`;
/** HTTP/2 streams per session (a browser's tabs on one origin; nginx allows 128 at once). */
const STREAMS_PER_SESSION = 100;
/** Connections per load-generator process. */
const PER_LOADGEN = 5000;
/** Connections per loopback source address: the ephemeral ports of one address run out at ~28k. */
const PER_SOURCE_ADDRESS = 25_000;

// ---------------------------------------------------------------------------------------------
// Processes

let serial = 0;

export async function startServer(
  ctx,
  kind,
  { label = kind, env = {}, profileWindow = false } = {},
) {
  const spec = SERVERS[kind];
  const nodeArgs = ['--expose-gc', '--max-old-space-size=4096'];
  // profileWindow: the scenario profiles a window of its own (profile-start/-stop), not the boot.
  if (ctx.profile && ctx.profile.scenario === ctx.scenario && kind === 'ripple' && !profileWindow) {
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${ctx.profile.dir}`);
  }
  const child = spawnNode({
    name: `${ctx.scenario}-${label}-${++serial}`,
    script: spec.script,
    args: spec.args ?? [],
    nodeArgs,
    env: {
      RIPPLE_BENCH_DIST: ctx.rippleDist,
      PORT: '0',
      HOST: '127.0.0.1',
      // Two instances share this host: each its own metrics port.
      RIPPLE_METRICS_PORT: '0',
      RIPPLE_PRODUCERS: 'none',
      // Streams still open at the end of a scenario end at once: the shutdown is not measured.
      RIPPLE_DRAIN_MS: '0',
      RIPPLE_INSTANCE_ID: `bench-${label}`,
      ...spec.env,
      ...env,
    },
    cpu: ctx.serverCpu,
    pinWhenReady: true,
    logDir: ctx.logDir,
    cwd: ctx.root,
  });
  const ready = await child.ready(30_000);
  child.port = ready.port;
  child.kind = kind;
  return child;
}

export async function startLoadgens(ctx, connections, label = 'lg') {
  const count = Math.max(1, Math.ceil(connections / PER_LOADGEN));
  const lgs = [];
  for (let i = 0; i < count; i++) {
    lgs.push(
      spawnNode({
        name: `${ctx.scenario}-${label}${i}-${++serial}`,
        script: 'bench/loadgen/sse-client.mjs',
        nodeArgs: ['--max-old-space-size=2048'],
        cpu: ctx.loadCpu,
        logDir: ctx.logDir,
        cwd: ctx.root,
      }),
    );
  }
  await Promise.all(lgs.map((lg) => lg.ready(15_000)));
  return lgs;
}

function sourceAddresses(total) {
  const n = Math.max(1, Math.ceil(total / PER_SOURCE_ADDRESS));
  return n === 1 ? [] : Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}

/** `total` split over `n` parts as evenly as it goes, the first ones one more. */
export function splitEvenly(total, n) {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** The hash slot of a key, as ioredis's cluster client computes it to route a command. */
function hashSlot(key) {
  return new Command('exists', [key]).getSlot();
}

/**
 * Opens `total` connections spread over the load generators, to `path` (the bench topic's stream
 * by default); throws unless all open.
 */
export async function connectClients(
  ctx,
  server,
  lgs,
  total,
  { slow = 0, fromSeq = 0, path = SSE_PATH, maxConnecting = null } = {},
) {
  const localAddresses = sourceAddresses(total);
  const shares = splitEvenly(total, lgs.length);
  const slowShares = splitEvenly(slow, lgs.length);
  const answers = await Promise.all(
    lgs.map((lg, i) =>
      lg.request(
        'connect',
        {
          host: '127.0.0.1',
          port: server.port,
          path,
          count: shares[i],
          slow: slowShares[i],
          fromSeq,
          readyOn: SERVERS[server.kind].readyOn,
          http2: SERVERS[server.kind].http2 ?? false,
          streamsPerSession: STREAMS_PER_SESSION,
          localAddresses,
          // maxConnecting: at most that many opening at once over all of them (under the backlog).
          concurrency: maxConnecting ? Math.max(1, Math.floor(maxConnecting / lgs.length)) : 200,
          timeoutMs: ctx.cfg.connectTimeoutMs,
        },
        ctx.cfg.connectTimeoutMs + 10_000,
      ),
    ),
  );
  const opened = answers.reduce((a, r) => a + r.opened, 0);
  if (opened < total) {
    const errors = [...new Set(answers.flatMap((r) => r.errors))].join(', ');
    throw new Error(
      `${server.name}: ${opened} of ${total} connections opened (${errors || 'timed out'})`,
    );
  }
  await waitSubscribers(ctx, server, total);
}

/** Polls the server until it counts `n` open streams. */
export async function waitSubscribers(ctx, server, n, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  let last = 0;
  for (;;) {
    last = (await server.request('stats')).subscribers;
    if (last >= n) return;
    if (performance.now() > deadline) {
      throw new Error(`${server.name}: ${last} of ${n} streams subscribed after ${timeoutMs} ms`);
    }
    await sleep(50);
  }
}

/** Polls the server until it counts fewer than `n` open streams (closed ones are gone). */
async function waitSubscribersBelow(server, n, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while ((await server.request('stats')).subscribers >= n) {
    if (performance.now() > deadline)
      throw new Error(`${server.name}: streams still open after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Stops processes: clients first, servers after, so that no server has open streams to end when
 * it closes (an app may spread that over a drain window on shutdown, which the bench need not wait
 * for).
 */
export async function stopAll(children) {
  const stop = (list) => Promise.all(list.map((c) => c.stop().catch(() => c.kill())));
  const present = children.filter(Boolean);
  await stop(present.filter((c) => c.kind === undefined));
  await stop(present.filter((c) => c.kind !== undefined));
}

// ---------------------------------------------------------------------------------------------
// Measurement

/**
 * Asks every load generator to wait, within the drain timeout, for what `what` names (`lastSeq`,
 * or `expectDelivered`), given as an object or, per load generator, as a function of its index.
 */
function awaitLoadgens(ctx, lgs, what, slackMs = 30_000) {
  return Promise.all(
    lgs.map((lg, i) =>
      lg.request(
        'await',
        { ...(typeof what === 'function' ? what(i) : what), timeoutMs: ctx.cfg.drainMs },
        ctx.cfg.drainMs + slackMs,
      ),
    ),
  );
}

function mergeLoadgen(results) {
  const hist = new Histogram();
  const sum = (key) => results.reduce((a, r) => a + (r[key] ?? 0), 0);
  for (const r of results) hist.add(r.histogram);
  return {
    done: results.every((r) => r.done),
    delivered: sum('delivered'),
    missed: sum('missed'),
    outOfOrder: sum('outOfOrder'),
    late: sum('late'),
    lateConns: sum('lateConns'),
    unexpectedClose: sum('unexpectedClose'),
    badFrames: sum('badFrames'),
    bytes: sum('bytes'),
    loadgenCpuS: sum('cpuSeconds'),
    hist,
  };
}

function latencyFields(hist) {
  return {
    p50Ms: hist.quantile(0.5),
    p99Ms: hist.quantile(0.99),
    maxMs: hist.total ? hist.maxMs : null,
  };
}

/**
 * One measured window of fan-out: the servers' CPU (from /proc) and event-loop utilisation over
 * [publish start, last delivery or drain timeout], RSS sampled through it, latency and counts from
 * the load generators. `publisher` is the server that publishes; `servers` all those measured.
 */
export async function fanoutWindow(
  ctx,
  { publisher, servers, lgs, clients, rate, burst = 1, durationMs, payloadBytes = 100 },
) {
  const { nextSeq } = await publisher.request('stats');
  await Promise.all(lgs.map((lg) => lg.request('window', { firstSeq: nextSeq })));
  const pids = servers.map((s) => s.pid);
  const sampler = rssSampler(pids);
  const cpu0 = pids.map(cpuSeconds);
  await Promise.all(servers.map((s) => s.request('elu-start')));
  const t0 = performance.now();
  const pub = await publisher.request(
    'publish',
    { rate, burst, durationMs, payloadBytes },
    durationMs + 120_000,
  );
  const results = await awaitLoadgens(ctx, lgs, { lastSeq: pub.lastSeq }, 60_000);
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = pids.map(cpuSeconds);
  const elus = await Promise.all(servers.map((s) => s.request('elu-stop')));
  const rss = sampler.stop();
  const m = mergeLoadgen(results);
  const cpuS = cpu1.reduce((a, c, i) => a + (c - cpu0[i]), 0);
  const expected = pub.published * clients;
  return {
    record: {
      published: pub.published,
      publishRatePerS: pub.published / (pub.elapsedMs / 1000),
      publisherLagP99Ms: pub.lagP99Ms,
      delivered: m.delivered,
      expected,
      deliveredPerS: m.delivered / wallS,
      serverCpuS: cpuS,
      serverCpuUtil: cpuS / wallS / servers.length,
      deliveriesPerCpuS: cpuS > 0 ? m.delivered / cpuS : null,
      elu: elus.reduce((a, e) => a + (e.elu ?? 0), 0) / elus.length,
      ...latencyFields(m.hist),
      rssStartMB: rss.start / 2 ** 20,
      rssPeakMB: rss.peak / 2 ** 20,
      missed: m.missed,
      outOfOrder: m.outOfOrder,
      late: m.late,
      unexpectedClose: m.unexpectedClose,
      badFrames: m.badFrames,
      publishErrors: pub.errors,
      wallS,
      loadgenCpuUtil: m.loadgenCpuS / wallS,
      drained: m.done,
    },
    perLoadgen: results.map((r) => latencyFields(Histogram.fromJSON(r.histogram))),
    firstError: pub.firstError,
  };
}

/** Records problems that mean the benchmark (not the server's speed) is broken. */
export function checkDelivery(ctx, where, r, { lateIsFailure }) {
  const problems = [];
  if (r.publishErrors > 0) problems.push(`${r.publishErrors} publish errors`);
  if (r.missed > 0) problems.push(`${r.missed} events missed`);
  if (r.outOfOrder > 0) problems.push(`${r.outOfOrder} events out of order`);
  if (r.unexpectedClose > 0) problems.push(`${r.unexpectedClose} connections closed by the server`);
  if (r.badFrames > 0) problems.push(`${r.badFrames} frames not parsed`);
  if (r.delivered === 0) problems.push('nothing delivered');
  if (lateIsFailure && r.late > 0)
    problems.push(`${r.late} events still undelivered after the drain`);
  for (const p of problems) ctx.fail(`${where}: ${p}`);
  return problems.length === 0;
}

/** A scenario's result record, before its servers are measured. */
function resultRecord(ctx, id, title, sc) {
  return {
    id,
    title,
    config: { ...sc, windowMs: ctx.cfg.windowMs, reps: ctx.cfg.reps },
    servers: {},
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------------
// A, B, C: fan-out at a steady rate, or in bursts

export async function fanoutScenario(ctx, id, title, sc) {
  const out = resultRecord(ctx, id, title, sc);
  for (const kind of ctx.servers) {
    const reps = [];
    let server;
    let lgs = [];
    try {
      server = await startServer(ctx, kind);
      lgs = await startLoadgens(ctx, sc.clients);
      await connectClients(ctx, server, lgs, sc.clients);
      const params = {
        publisher: server,
        servers: [server],
        lgs,
        clients: sc.clients,
        rate: sc.rate,
        burst: sc.burst,
      };
      await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.warmupMs });
      for (let rep = 0; rep < ctx.cfg.reps; rep++) {
        const w = await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.windowMs });
        reps.push(w.record);
        checkDelivery(ctx, `${id}/${kind} rep ${rep + 1}`, w.record, { lateIsFailure: ctx.quick });
        if (w.firstError) ctx.fail(`${id}/${kind}: publish error: ${w.firstError.split('\n')[0]}`);
        ctx.progress(`${id} ${kind} rep ${rep + 1}: ${summarizeFanout(w.record)}`);
      }
    } catch (err) {
      ctx.fail(`${id}/${kind}: ${err.message}`);
    } finally {
      await stopAll([...lgs, server]);
    }
    out.servers[kind] = { reps, median: medianRecord(reps) };
  }
  return out;
}

function summarizeFanout(r) {
  const f = (v, d = 0) => (v == null ? '-' : v.toFixed(d));
  return (
    `${f(r.deliveriesPerCpuS / 1000, 1)}k del/cpu-s, cpu ${f(r.serverCpuUtil * 100)}%, elu ${f(r.elu * 100)}%, ` +
    `p50 ${f(r.p50Ms, 2)} ms, p99 ${f(r.p99Ms, 2)} ms, rss ${f(r.rssPeakMB)} MB, ` +
    `late ${r.late}, lg cpu ${f(r.loadgenCpuUtil * 100)}%`
  );
}

// ---------------------------------------------------------------------------------------------
// D: RSS per idle connection

export async function idleScenario(ctx, id, title, sc) {
  const out = { id, title, config: { ...sc, reps: ctx.cfg.reps }, servers: {}, notes: [] };
  for (const kind of ctx.servers) {
    const reps = [];
    let lgs = [];
    try {
      lgs = await startLoadgens(ctx, sc.clients);
      for (let rep = 0; rep < ctx.cfg.reps; rep++) {
        let server;
        try {
          server = await startServer(ctx, kind);
          await sleep(300);
          const before = await server.request('gc');
          const rss0 = rssBytes(server.pid);
          await connectClients(ctx, server, lgs, sc.clients);
          await sleep(ctx.cfg.idleSettleMs);
          const after = await server.request('gc');
          const rss1 = rssBytes(server.pid);
          const record = {
            connections: sc.clients,
            rssBeforeMB: rss0 / 2 ** 20,
            rssAfterMB: rss1 / 2 ** 20,
            rssPerConnKB: (rss1 - rss0) / sc.clients / 1024,
            heapPerConnKB: (after.heapUsed - before.heapUsed) / sc.clients / 1024,
          };
          reps.push(record);
          ctx.progress(
            `${id} ${kind} rep ${rep + 1}: ${record.rssPerConnKB.toFixed(1)} KB RSS/conn, ${record.heapPerConnKB.toFixed(1)} KB heap/conn`,
          );
          await Promise.all(lgs.map((lg) => lg.request('close')));
        } finally {
          await stopAll([server]);
        }
      }
    } catch (err) {
      ctx.fail(`${id}/${kind}: ${err.message}`);
    } finally {
      await stopAll(lgs);
    }
    out.servers[kind] = { reps, median: medianRecord(reps) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// E: slow clients that never read, beside clients that do

export async function slowScenario(ctx, id, title, sc) {
  const out = resultRecord(ctx, id, title, sc);
  const total = sc.fast + sc.slow;
  for (const kind of ctx.servers) {
    const reps = [];
    for (let rep = 0; rep < ctx.cfg.reps; rep++) {
      let server;
      let lgs = [];
      try {
        server = await startServer(ctx, kind);
        lgs = await startLoadgens(ctx, total);
        await connectClients(ctx, server, lgs, total, { slow: sc.slow });
        await server.request('gc');
        const w = await fanoutWindow(ctx, {
          publisher: server,
          servers: [server],
          lgs,
          clients: sc.fast,
          rate: sc.rate,
          durationMs: ctx.cfg.windowMs,
          payloadBytes: sc.payloadBytes,
        });
        const { subscribers } = await server.request('stats');
        const r = w.record;
        const record = {
          rssStartMB: r.rssStartMB,
          rssPeakMB: r.rssPeakMB,
          rssGrowthMB: r.rssPeakMB - r.rssStartMB,
          offeredPerSlowMB: (r.published * sc.payloadBytes) / 2 ** 20,
          slowDropped: total - subscribers,
          fastDelivered: r.delivered,
          fastLate: r.late,
          fastP99Ms: r.p99Ms,
          serverCpuS: r.serverCpuS,
          missed: r.missed,
          outOfOrder: r.outOfOrder,
          unexpectedClose: r.unexpectedClose,
          publishErrors: r.publishErrors,
          badFrames: r.badFrames,
          delivered: r.delivered,
          late: r.late,
        };
        reps.push(record);
        checkDelivery(ctx, `${id}/${kind} rep ${rep + 1} (reading clients)`, record, {
          lateIsFailure: ctx.quick,
        });
        ctx.progress(
          `${id} ${kind} rep ${rep + 1}: rss +${record.rssGrowthMB.toFixed(1)} MB (peak ${r.rssPeakMB.toFixed(0)} MB), ` +
            `${record.slowDropped}/${sc.slow} slow dropped, fast p99 ${r.p99Ms?.toFixed(2)} ms`,
        );
      } catch (err) {
        ctx.fail(`${id}/${kind}: ${err.message}`);
      } finally {
        await stopAll([...lgs, server]);
      }
    }
    out.servers[kind] = { reps, median: medianRecord(reps) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// S: a reconnect storm, every client resuming from a cursor at once

/**
 * S: the server holds `sc.seed` events of history; `sc.clients` clients connect at once, each
 * with a Last-Event-ID `back` events behind the newest, `back` taken in turn from `sc.backs`, and
 * must get exactly the events after it, in order (caught up), then `sc.live` live events.
 * "At once" within what the kernel takes: at most `sc.maxConnecting` connections are opening (not
 * yet at their first frame) at a time, Node's default listen backlog (511) for both servers, so
 * that no SYN is dropped; a dropped SYN is retried after 1, 3, 7, 15 s..., which would measure
 * TCP's backoff rather than the server, and Ripple closes a connection whose request it has not
 * read within RIPPLE_HEADERS_TIMEOUT_MS. Measured from the first connect to the last client caught
 * up: the server's CPU, connections per server CPU-second, the time from the storm's start to each
 * client's first frame and to its catching up, RSS. One warm-up storm of `sc.warmupClients`
 * first, so that the opening's code is compiled; the connections are closed between storms. With
 * --profile=S, Ripple's first measured storm is profiled (node:inspector), over the same span.
 */
export async function stormScenario(ctx, id, title, sc) {
  const out = resultRecord(ctx, id, title, sc);
  for (const kind of ctx.servers) {
    if (!SERVERS[kind].resumes) {
      out.notes.push(`${kind}: not run: it keeps no history, so a client cannot resume`);
      continue;
    }
    const reps = [];
    let server;
    let lgs = [];
    try {
      // The raw baselines keep as much history as Ripple's default (BENCH_HISTORY).
      server = await startServer(ctx, kind, {
        env: { BENCH_HISTORY: String(sc.history) },
        profileWindow: true,
      });
      lgs = await startLoadgens(ctx, sc.clients);
      const seeded = await server.request('seed', { count: sc.seed }, 60_000);
      const cursors = new Map(seeded.cursors.map((c, i) => [seeded.firstSeq + i, c]));
      const storm = (clients, profilePath) =>
        stormOnce(ctx, { server, lgs, clients, sc, cursors, profilePath });
      await storm(Math.min(sc.clients, sc.warmupClients));
      for (let rep = 0; rep < ctx.cfg.reps; rep++) {
        const profile = ctx.profile?.scenario === id && kind === 'ripple' && rep === 0;
        const record = await storm(
          sc.clients,
          profile ? join(ctx.profile.dir, `${id}-${kind}-storm.cpuprofile`) : null,
        );
        reps.push(record);
        checkStorm(ctx, `${id}/${kind} rep ${rep + 1}`, record);
        ctx.progress(`${id} ${kind} rep ${rep + 1}: ${summarizeStorm(record)}`);
      }
    } catch (err) {
      ctx.fail(`${id}/${kind}: ${err.message}`);
    } finally {
      await stopAll([...lgs, server]);
    }
    out.servers[kind] = { reps, median: medianRecord(reps) };
  }
  return out;
}

/**
 * One storm: `clients` connections at once, resuming from `sc.backs` events behind the newest;
 * then `sc.live` live events; then every connection closed. `cursors` maps a sequence number to
 * the Last-Event-ID that resumes after it, and learns the live events' too.
 */
async function stormOnce(ctx, { server, lgs, clients, sc, cursors, profilePath }) {
  // The last storm's garbage is not this one's: RSS starts from a collected heap.
  const { nextSeq } = await server.request('gc');
  const head = nextSeq - 1;
  const resume = sc.backs.map((back) => {
    if (!cursors.has(head - back)) throw new Error(`no cursor for event ${head - back}`);
    return { lastEventId: cursors.get(head - back), afterSeq: head - back };
  });
  await Promise.all(lgs.map((lg) => lg.request('window', { firstSeq: 0 })));
  const shares = splitEvenly(clients, lgs.length);
  // Each load generator takes the cursors in turn from the first (it has no other connection).
  const expectedReplayed = shares.reduce((sum, n) => sum + resumedEvents(n, sc.backs), 0);
  if (profilePath) await server.request('profile-start');
  const sampler = rssSampler([server.pid]);
  const overflows0 = listenOverflows();
  const cpu0 = cpuSeconds(server.pid);
  await server.request('elu-start');
  const t0 = performance.now();
  const localAddresses = sourceAddresses(clients);
  const answers = await Promise.all(
    lgs.map((lg, i) =>
      lg.request(
        'connect',
        {
          host: '127.0.0.1',
          port: server.port,
          path: SSE_PATH,
          count: shares[i],
          readyOn: SERVERS[server.kind].readyOn,
          http2: SERVERS[server.kind].http2 ?? false,
          streamsPerSession: STREAMS_PER_SESSION,
          localAddresses,
          // As many opening at a time as the listen queue holds (see stormScenario).
          concurrency: Math.max(1, Math.floor(sc.maxConnecting / lgs.length)),
          timeoutMs: ctx.cfg.connectTimeoutMs,
          cursors: resume,
          catchUpSeq: head,
        },
        ctx.cfg.connectTimeoutMs + 10_000,
      ),
    ),
  );
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(server.pid) - cpu0;
  const overflows1 = listenOverflows();
  const { elu } = await server.request('elu-stop');
  const rss = sampler.stop();
  if (profilePath) await server.request('profile-stop', { path: profilePath }, 60_000);
  const openHist = new Histogram();
  const caughtUpHist = new Histogram();
  for (const a of answers) {
    openHist.add(a.openHist);
    caughtUpHist.add(a.caughtUpHist);
  }
  const storm = mergeLoadgen(answers);
  const caughtUp = answers.reduce((sum, a) => sum + a.caughtUp, 0);
  const failed = answers.reduce((sum, a) => sum + a.failed, 0);
  const errors = [...new Set(answers.flatMap((a) => a.errors))];

  // Live: every client, caught up, must get the next events too, with none missing.
  const live = { delivered: 0, missed: 0, outOfOrder: 0, late: 0, hist: new Histogram() };
  if (caughtUp === clients) {
    const { nextSeq: firstLive } = await server.request('stats');
    await Promise.all(lgs.map((lg) => lg.request('window', { firstSeq: firstLive })));
    const published = await server.request('seed', { count: sc.live, intervalMs: 20 }, 60_000);
    published.cursors.forEach((c, i) => cursors.set(published.firstSeq + i, c));
    Object.assign(
      live,
      mergeLoadgen(await awaitLoadgens(ctx, lgs, { lastSeq: published.lastSeq })),
    );
  }
  await Promise.all(lgs.map((lg) => lg.request('close')));
  await waitSubscribersBelow(server, 1, 30_000);
  return {
    connections: clients,
    caughtUp,
    failed,
    errors: errors.join(', '),
    wallS,
    serverCpuS: cpuS,
    serverCpuUtil: cpuS / wallS,
    acceptedPerCpuS: cpuS > 0 ? caughtUp / cpuS : null,
    cpuMsPerConn: caughtUp > 0 ? (1000 * cpuS) / caughtUp : null,
    acceptedPerS: caughtUp / wallS,
    elu,
    openP50Ms: openHist.quantile(0.5),
    openP99Ms: openHist.quantile(0.99),
    caughtUpP50Ms: caughtUpHist.quantile(0.5),
    caughtUpP99Ms: caughtUpHist.quantile(0.99),
    caughtUpMaxMs: caughtUpHist.total ? caughtUpHist.maxMs : null,
    replayed: storm.delivered,
    expectedReplayed,
    rssStartMB: rss.start / 2 ** 20,
    rssPeakMB: rss.peak / 2 ** 20,
    listenOverflows: overflows0 == null || overflows1 == null ? null : overflows1 - overflows0,
    liveDelivered: live.delivered,
    liveExpected: caughtUp === clients ? sc.live * clients : null,
    liveP99Ms: live.hist.quantile(0.99),
    late: live.late,
    missed: storm.missed + live.missed,
    outOfOrder: storm.outOfOrder + live.outOfOrder,
    unexpectedClose: storm.unexpectedClose + (live.unexpectedClose ?? 0),
    badFrames: storm.badFrames + (live.badFrames ?? 0),
    loadgenCpuUtil: storm.loadgenCpuS / wallS,
  };
}

/** Events `n` connections replay when they take their cursors' `backs` in turn. */
function resumedEvents(n, backs) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += backs[i % backs.length];
  return sum;
}

/** A storm in which a client did not open, catch up exactly, or get the live events is broken. */
function checkStorm(ctx, where, r) {
  const problems = [];
  if (r.failed > 0) problems.push(`${r.failed} connections failed (${r.errors})`);
  if (r.caughtUp < r.connections)
    problems.push(`${r.connections - r.caughtUp} of ${r.connections} clients never caught up`);
  if (r.replayed !== r.expectedReplayed)
    problems.push(`${r.replayed} events replayed where ${r.expectedReplayed} were due`);
  if (r.missed > 0) problems.push(`${r.missed} events missed`);
  if (r.outOfOrder > 0) problems.push(`${r.outOfOrder} events out of order`);
  if (r.unexpectedClose > 0) problems.push(`${r.unexpectedClose} connections closed by the server`);
  if (r.badFrames > 0) problems.push(`${r.badFrames} frames not parsed`);
  if (r.liveExpected !== null && r.liveDelivered < r.liveExpected)
    problems.push(`${r.liveExpected - r.liveDelivered} live events not delivered after the storm`);
  for (const p of problems) ctx.fail(`${where}: ${p}`);
}

function summarizeStorm(r) {
  const f = (v, d = 0) => (v == null ? '-' : v.toFixed(d));
  return (
    `${r.caughtUp}/${r.connections} caught up in ${f(r.wallS, 2)} s, ${f(r.acceptedPerCpuS)} conn/cpu-s ` +
    `(${f(r.cpuMsPerConn, 3)} ms CPU each), cpu ${f(r.serverCpuUtil * 100)}%, ` +
    `caught up p50 ${f(r.caughtUpP50Ms)} ms p99 ${f(r.caughtUpP99Ms)} ms, rss ${f(r.rssPeakMB)} MB, ` +
    `listen overflows ${r.listenOverflows ?? '-'}, lg cpu ${f(r.loadgenCpuUtil * 100)}%`
  );
}

// ---------------------------------------------------------------------------------------------
// F: publish throughput, over HTTP and in process

export async function publishScenario(ctx, id, title, sc) {
  const out = { id, title, config: { ...sc, reps: ctx.cfg.reps }, servers: {}, notes: [] };
  for (const kind of ctx.servers) {
    const reps = [];
    let server;
    let lgs = [];
    let poster;
    try {
      server = await startServer(ctx, kind);
      lgs = await startLoadgens(ctx, sc.subscribers);
      poster = spawnNode({
        name: `${ctx.scenario}-poster-${++serial}`,
        script: 'bench/loadgen/http-publisher.mjs',
        cpu: ctx.loadCpu,
        logDir: ctx.logDir,
        cwd: ctx.root,
      });
      await poster.ready(15_000);
      await connectClients(ctx, server, lgs, sc.subscribers);
      // Warm-up: a short round of each.
      await poster.request('run', {
        host: '127.0.0.1',
        port: server.port,
        topic: TOPIC,
        connections: sc.httpConnections,
        durationMs: 300,
      });
      await server.request('tight', { durationMs: 200, inflight: sc.inflight }, 60_000);
      for (let rep = 0; rep < ctx.cfg.reps; rep++) {
        // HTTP: POST /events/bench from keep-alive connections.
        const {
          got: http,
          cpuS: httpCpuS,
          wallS: httpWallS,
          subs: httpSubs,
        } = await postRound(
          ctx,
          { server, lgs, poster, sc },
          {
            connections: sc.httpConnections,
            durationMs: sc.httpMs,
          },
        );
        // In process: batches of `inflight` publishes, a setImmediate between batches.
        const { nextSeq } = await server.request('stats');
        await Promise.all(
          lgs.map((lg) => lg.request('window', { firstSeq: nextSeq, resetLast: true })),
        );
        const cpu0 = cpuSeconds(server.pid);
        const t0 = performance.now();
        const tight = await server.request(
          'tight',
          { durationMs: sc.tightMs, inflight: sc.inflight },
          sc.tightMs + 60_000,
        );
        const tightCpuS = cpuSeconds(server.pid) - cpu0;
        const tightWallS = (performance.now() - t0) / 1000;
        const tightSubs = mergeLoadgen(await awaitLoadgens(ctx, lgs, { lastSeq: tight.lastSeq }));
        const drainS = (performance.now() - t0) / 1000;
        // Ripple's batch route (the baselines have none): events/s and per server CPU-second. Last,
        // so that the backlog of its fan-out does not spill into the rounds above.
        const batch =
          kind === 'ripple' && sc.batch > 0
            ? await batchRound(ctx, id, { server, lgs, poster, sc })
            : {};
        const record = {
          httpPerS: http.accepted / (http.elapsedMs / 1000),
          httpPerCpuS: httpCpuS > 0 ? http.accepted / httpCpuS : null,
          httpServerCpuUtil: httpCpuS / httpWallS,
          httpRejected: http.rejected,
          httpFanoutComplete: http.accepted
            ? httpSubs.delivered / (http.accepted * sc.subscribers)
            : null,
          httpP99Ms: httpSubs.hist.quantile(0.99),
          ...batch,
          tightPerS: tight.published / (tight.elapsedMs / 1000),
          tightPerCpuS: tightCpuS > 0 ? tight.published / tightCpuS : null,
          tightServerCpuUtil: tightCpuS / tightWallS,
          tightFanoutComplete: tight.published
            ? tightSubs.delivered / (tight.published * sc.subscribers)
            : null,
          tightDrainS: drainS,
          subscribersDropped: tightSubs.unexpectedClose + httpSubs.unexpectedClose,
          missed: tightSubs.missed,
          outOfOrder: tightSubs.outOfOrder,
          publishErrors: tight.errors,
        };
        reps.push(record);
        if (http.accepted === 0)
          ctx.fail(`${id}/${kind}: no HTTP publish accepted (${http.firstError})`);
        if (http.rejected > 0)
          ctx.fail(`${id}/${kind}: ${http.rejected} HTTP publishes refused: ${http.firstError}`);
        if (tight.errors > 0)
          ctx.fail(
            `${id}/${kind}: ${tight.errors} in-process publish errors: ${tight.firstError?.split('\n')[0]}`,
          );
        if (tight.published === 0) ctx.fail(`${id}/${kind}: nothing published in process`);
        if (tightSubs.missed || tightSubs.outOfOrder) {
          ctx.fail(
            `${id}/${kind}: subscribers saw ${tightSubs.missed} missed, ${tightSubs.outOfOrder} out-of-order events`,
          );
        }
        if (httpSubs.delivered === 0 || tightSubs.delivered === 0)
          ctx.fail(`${id}/${kind}: subscribers received nothing`);
        ctx.progress(
          `${id} ${kind} rep ${rep + 1}: HTTP ${Math.round(record.httpPerS)}/s (${Math.round(record.httpPerCpuS)}/cpu-s), ` +
            `in-process ${Math.round(record.tightPerS)}/s (${Math.round(record.tightPerCpuS)}/cpu-s), ` +
            `fan-out ${(record.tightFanoutComplete * 100).toFixed(0)}% in ${drainS.toFixed(1)} s, dropped ${record.subscribersDropped}`,
        );
      }
    } catch (err) {
      ctx.fail(`${id}/${kind}: ${err.message}`);
    } finally {
      await stopAll([...lgs, poster, server]);
    }
    out.servers[kind] = { reps, median: medianRecord(reps) };
  }
  return out;
}

/**
 * One round of the HTTP publisher against `server` (`run` options: connections, durationMs and,
 * for the batch route, batch), with the server's CPU and wall time over it and what the
 * subscribers received once every accepted event reached them.
 */
async function postRound(ctx, { server, lgs, poster, sc }, options) {
  await Promise.all(lgs.map((lg) => lg.request('window', { firstSeq: 0, checkOrder: false })));
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  const got = await poster.request(
    'run',
    { host: '127.0.0.1', port: server.port, topic: TOPIC, ...options },
    options.durationMs + 60_000,
  );
  const cpuS = cpuSeconds(server.pid) - cpu0;
  const wallS = (performance.now() - t0) / 1000;
  const subs = mergeLoadgen(
    await awaitLoadgens(ctx, lgs, {
      expectDelivered: (got.accepted * sc.subscribers) / lgs.length,
    }),
  );
  return { got, cpuS, wallS, subs };
}

/** F's batch round: `batchConnections` keep-alive connections POSTing batches of `batch` events. */
async function batchRound(ctx, id, { server, lgs, poster, sc }) {
  const { got, cpuS, wallS, subs } = await postRound(
    ctx,
    { server, lgs, poster, sc },
    {
      connections: sc.batchConnections,
      durationMs: sc.batchMs,
      batch: sc.batch,
    },
  );
  if (got.accepted === 0 || got.rejected > 0)
    ctx.fail(
      `${id}/ripple: batch publishes: ${got.accepted} events accepted, ${got.rejected} refused: ${got.firstError}`,
    );
  const record = {
    batchPerS: got.accepted / (got.elapsedMs / 1000),
    batchPerCpuS: cpuS > 0 ? got.accepted / cpuS : null,
    batchServerCpuUtil: cpuS / wallS,
    batchFanoutComplete: got.accepted ? subs.delivered / (got.accepted * sc.subscribers) : null,
  };
  ctx.progress(
    `${id} ripple batch of ${sc.batch}: ${Math.round(record.batchPerS)} events/s (${Math.round(record.batchPerCpuS)}/cpu-s), fan-out ${(record.batchFanoutComplete * 100).toFixed(0)}%`,
  );
  return record;
}

// ---------------------------------------------------------------------------------------------
// G and H: two Ripple instances through Redis (G: one server; H: a Redis Cluster), against raw
// ioredis on the same Redis

/**
 * G: one Ripple on the memory transport (the reference for the hop), then two instances on one
 * Redis, then ioredis PUBLISH -> SUBSCRIBE.
 */
export async function redisScenario(ctx, id, title, sc) {
  const out = resultRecord(ctx, id, title, sc);
  const redis = ctx.redis;
  if (!redis.prefixVar) {
    out.skipped =
      'skipped: needs the Redis transport (no RIPPLE_REDIS_KEY_PREFIX-like variable in dist/config/ripple.config.js)';
    return out;
  }
  if (!redis.reachable) {
    out.skipped = `skipped: no Redis answers at ${redis.url}`;
    if (process.env.CI === 'true') ctx.fail(`${id}: no Redis at ${redis.url} (CI=true)`);
    return out;
  }
  const env = { RIPPLE_TRANSPORT: 'redis', REDIS_URL: redis.url, [redis.prefixVar]: redis.prefix };
  out.config.prefixVar = redis.prefixVar;

  out.servers['ripple-memory'] = await memoryReference(ctx, id, sc);
  const ripple = await twoInstances(ctx, id, sc, {
    label: 'redis',
    env,
    topicSets: { one: [TOPIC] },
  });
  out.servers['ripple-redis'] = ripple.fanout;
  out.servers['ripple-redis-throughput'] = ripple.throughput.one;
  const raw = await rawReference(ctx, id, sc, {
    label: 'ioredis',
    target: { url: redis.url },
    channelSets: { one: [`${redis.prefix}raw`] },
  });
  out.servers.ioredis = raw.one;
  return out;
}

/**
 * H's Redis Cluster (bench/redis/cluster.mjs), started by the orchestrator at the start of the run,
 * beside the build, as forming a cluster is seconds of waiting; stopped at the end (and killed with
 * every other child however the run ends). `ready()` settles to {cluster} or {error}: a failure
 * is H's to report. (It is asked for only once the build is done: the build blocks the
 * orchestrator, and a timer that ran out meanwhile would fire before the answer that came in time.)
 * Null when redis-server and redis-cli of Redis 7 are missing (H says why).
 */
export function startCluster({ root, logDir }, masters) {
  if (missingClusterTools()) return null;
  const keeper = spawnNode({
    name: `H-redis-cluster-${++serial}`,
    script: 'bench/redis/cluster.mjs',
    args: [`--masters=${masters}`],
    logDir,
    cwd: root,
  });
  return {
    ready: () =>
      keeper.ready(60_000).then(
        (cluster) => {
          // Removed by the keeper; by the orchestrator too, in case the keeper was SIGKILLed first.
          process.on('exit', () => rmSync(cluster.dir, { recursive: true, force: true }));
          return { cluster };
        },
        (error) => ({ error }),
      ),
    stop: () => stopAll([keeper]),
  };
}

/**
 * H: two instances on the run's Redis Cluster (RIPPLE_TRANSPORT=redis-cluster), first on one topic
 * as G, then publishing round-robin over topics whose slots are spread over every master; ioredis
 * SPUBLISH -> SSUBSCRIBE the same. The single-Redis figures to compare with are G's.
 */
export async function clusterScenario(ctx, id, title, sc) {
  const out = resultRecord(ctx, id, title, sc);
  const redis = ctx.redis;
  const unavailable = clusterUnavailable(ctx);
  if (unavailable) {
    const [why, failsCi] = unavailable;
    out.skipped = `skipped: ${why}`;
    if (failsCi && process.env.CI === 'true') ctx.fail(`${id}: ${why} (CI=true)`);
    return out;
  }
  const { cluster, error } = await ctx.cluster.ready();
  if (error) {
    ctx.fail(`${id}: the Redis Cluster did not start: ${error.message}`);
    return out;
  }
  const spread = spreadTopics(cluster.nodes, sc.topicsPerMaster, redis.prefix);
  out.config.masters = cluster.nodes.length;
  out.config.spreadTopics = spread.length;
  ctx.progress(
    `${id}: Redis Cluster of ${cluster.nodes.length} masters (formed in ${cluster.startS.toFixed(1)} s, at the start of the run); ` +
      `topics spread: ${spread.join(' ')}`,
  );
  const redisPids = cluster.nodes.map((node) => node.pid);
  const env = {
    RIPPLE_TRANSPORT: 'redis-cluster',
    REDIS_URL: cluster.seeds,
    ...(redis.prefixVar ? { [redis.prefixVar]: redis.prefix } : {}),
  };
  const ripple = await twoInstances(ctx, id, sc, {
    label: 'cluster',
    env,
    topicSets: { one: [TOPIC], spread },
    redisPids,
  });
  out.servers['ripple-cluster'] = ripple.fanout;
  out.servers['ripple-cluster-throughput'] = ripple.throughput.one;
  out.servers['ripple-cluster-throughput-spread'] = ripple.throughput.spread;
  // The same slots as Ripple's: the topic's hash tag in each channel's name.
  const channel = (topic) => `${redis.prefix}raw{${topic}}`;
  const raw = await rawReference(ctx, id, sc, {
    label: 'ioredis-cluster',
    target: { seeds: cluster.seeds },
    channelSets: { one: [channel(TOPIC)], spread: spread.map(channel) },
    redisPids,
  });
  out.servers['ioredis-cluster'] = raw.one;
  out.servers['ioredis-cluster-spread'] = raw.spread;
  return out;
}

/**
 * Why H cannot run, and whether that fails a CI run, or null. A build from before cluster mode
 * (--ref) has nothing to measure; a machine without Redis 7's tools is a broken CI machine.
 */
function clusterUnavailable(ctx) {
  if (!ctx.redis.clusterTransport)
    return [
      'the build has no RIPPLE_TRANSPORT=redis-cluster (dist/config/ripple.config.js)',
      false,
    ];
  const missing = missingClusterTools() ?? (ctx.cluster ? null : 'no cluster was started');
  return missing ? [`${missing}, so no local Redis Cluster can be started`, true] : null;
}

/** `redis-server` and `redis-cli` of Redis 7 or later (sharded pub/sub), or what is missing. */
function missingClusterTools() {
  for (const tool of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return `${tool} is not installed`;
    const major = Number(/v=(\d+)|redis-cli (\d+)/.exec(probe.stdout)?.slice(1).find(Boolean));
    if (!(major >= 7)) return `${tool} is older than Redis 7: ${probe.stdout.trim()}`;
  }
  return null;
}

/**
 * Topic names (bench.0, bench.1, ...) whose slots fall `perMaster` on each master, in an order
 * that cycles through the masters, so that round-robin publishing loads every shard alike. The
 * slot is the hash tag's, the topic: the same for Ripple's keys as for `topic` alone.
 */
function spreadTopics(nodes, perMaster, prefix) {
  const owner = (slot) => nodes.findIndex((n) => n.slots.some(([a, b]) => slot >= a && slot <= b));
  const byMaster = nodes.map(() => []);
  for (let i = 0; byMaster.some((t) => t.length < perMaster) && i < 10_000; i++) {
    const topic = `${TOPIC}.${i}`;
    const mine = byMaster[owner(hashSlot(`${prefix}{${topic}}:live`))];
    if (mine && mine.length < perMaster) mine.push(topic);
  }
  return Array.from({ length: perMaster }, (_, k) => byMaster.map((t) => t[k])).flat();
}

/** The reference for the hop: one Ripple on the memory transport, the same clients and rate. */
async function memoryReference(ctx, id, sc) {
  const reps = [];
  let mem;
  let lgs = [];
  try {
    mem = await startServer(ctx, 'ripple', { label: 'ripple-memory' });
    lgs = await startLoadgens(ctx, sc.clients, 'lgM');
    await connectClients(ctx, mem, lgs, sc.clients);
    const params = { publisher: mem, servers: [mem], lgs, clients: sc.clients, rate: sc.rate };
    await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.warmupMs });
    for (let rep = 0; rep < ctx.cfg.reps; rep++) {
      const w = await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.windowMs });
      reps.push(w.record);
      checkDelivery(ctx, `${id}/ripple-memory rep ${rep + 1}`, w.record, {
        lateIsFailure: ctx.quick,
      });
      ctx.progress(`${id} ripple (memory) rep ${rep + 1}: ${summarizeFanout(w.record)}`);
    }
  } catch (err) {
    ctx.fail(`${id}/ripple-memory: ${err.message}`);
  } finally {
    await stopAll([...lgs, mem]);
  }
  return { reps, median: medianRecord(reps) };
}

/** CPU seconds of some processes since `before` (the same call's result, earlier): total, busiest. */
function cpuSince(pids, before) {
  const used = pids.map((pid, i) => (cpuSeconds(pid) ?? before[i]) - before[i]);
  const total = used.reduce((a, b) => a + b, 0);
  return { total, busiestShare: total > 0 ? Math.max(...used) / total : null };
}

/**
 * Two Ripple instances on `env`'s Redis, both on the server CPU: `sc.clients` clients split
 * between them and `sc.rate` events/s published in process on instance a, every event reaching
 * both through Redis (latency, and CPU per delivery); then, for each set of topics, while a
 * publishes `inflight` deep for `tputMs`, round-robin over them, `2 × tputSubscribers` subscribers
 * of each topic, all on instance b: every event reaches as many connections as on one topic, and
 * each connection streams one topic, so that only the path through Redis differs. With one topic
 * the subscribers check order and count; with several, the count (a connection's sequence numbers
 * then step by the number of topics). `redisPids`: the Redis processes whose CPU is read over
 * each throughput window.
 *
 * The throughput leg has the raw reference's shape (rawReference): a publisher alone on the server
 * CPU, and what receives from Redis on the load CPU. Instance a serves no subscriber then, so it
 * does not subscribe to the channel (an instance subscribes for its own clients only), and b is
 * moved to the load CPU, beside its clients' load generators, as the raw subscriber runs there.
 * With a serving half the subscribers and b on the server CPU, the publisher shared its core with
 * a whole receiving instance and received every event itself, where the raw publisher did neither.
 */
async function twoInstances(ctx, id, sc, { label, env, topicSets, redisPids = [] }) {
  const half = Math.floor(sc.clients / 2);
  const reps = [];
  const tput = Object.fromEntries(Object.keys(topicSets).map((name) => [name, []]));
  let a;
  let b;
  let lgA = [];
  let lgB = [];
  try {
    // Servers on one core, load generators on the other: started side by side (all settled
    // before any failure is thrown, so that `finally` stops every one that started).
    const started = await Promise.allSettled([
      startServer(ctx, 'ripple', { label: `ripple-${label}-a`, env }),
      startServer(ctx, 'ripple', { label: `ripple-${label}-b`, env }),
      startLoadgens(ctx, half, 'lgA'),
      startLoadgens(ctx, sc.clients - half, 'lgB'),
    ]);
    [a, b, lgA = [], lgB = []] = started.map((r) => r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    await connectClients(ctx, a, lgA, half);
    await connectClients(ctx, b, lgB, sc.clients - half);
    const lgs = [...lgA, ...lgB];
    const params = { publisher: a, servers: [a, b], lgs, clients: sc.clients, rate: sc.rate };
    await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.warmupMs });
    for (let rep = 0; rep < ctx.cfg.reps; rep++) {
      const w = await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.windowMs });
      const [la, ...lb] = w.perLoadgen;
      const record = {
        ...w.record,
        p50LocalMs: la.p50Ms,
        p99LocalMs: la.p99Ms,
        p50RemoteMs: lb[0]?.p50Ms,
        p99RemoteMs: lb[0]?.p99Ms,
      };
      reps.push(record);
      checkDelivery(ctx, `${id}/ripple-${label} rep ${rep + 1}`, record, {
        lateIsFailure: ctx.quick,
      });
      ctx.progress(`${id} ripple x2 via ${label} rep ${rep + 1}: ${summarizeFanout(record)}`);
    }
    // The throughput leg's shape, the raw reference's: a publishes alone on the server CPU, b
    // receives on the load CPU.
    if (canPin()) {
      spawnSync('taskset', ['-a', '-p', '-c', String(ctx.loadCpu), String(b.pid)], {
        stdio: 'ignore',
      });
    }
    const subscribers = 2 * sc.tputSubscribers;
    for (const [name, topics] of Object.entries(topicSets)) {
      // Throughput: few subscribers, all on b, publishes kept `inflight` deep.
      await Promise.all(lgs.map((lg) => lg.request('close')));
      await waitSubscribersBelow(a, 1);
      await waitSubscribersBelow(b, 1);
      const ordered = topics.length === 1;
      const { nextSeq } = await a.request('stats');
      for (const topic of topics) {
        const path = `/events?topic=${encodeURIComponent(topic)}`;
        await connectClients(ctx, b, lgB, subscribers, { fromSeq: nextSeq, path });
      }
      for (let rep = 0; rep < ctx.cfg.reps; rep++) {
        const { nextSeq: first } = await a.request('stats');
        await Promise.all(
          lgB.map((lg) => lg.request('window', { firstSeq: first, checkOrder: ordered })),
        );
        const t0 = performance.now();
        const cpu0 = cpuSeconds(a.pid) + cpuSeconds(b.pid);
        const redis0 = redisPids.map(cpuSeconds);
        const tight = await a.request(
          'tight',
          { durationMs: sc.tputMs, inflight: sc.inflight, topics },
          sc.tputMs + 60_000,
        );
        const expect = splitEvenly(subscribers, lgB.length);
        const subsB = await awaitLoadgens(ctx, lgB, (i) =>
          ordered ? { lastSeq: tight.lastSeq } : { expectDelivered: tight.published * expect[i] },
        ).then(mergeLoadgen);
        const wallS = (performance.now() - t0) / 1000;
        const cpuS = cpuSeconds(a.pid) + cpuSeconds(b.pid) - cpu0;
        const redisCpu = cpuSince(redisPids, redis0);
        const expected = tight.published * subscribers;
        const record = {
          topics: topics.length,
          acceptedPerS: tight.published / (tight.elapsedMs / 1000),
          deliveredRemotePerS: subsB.delivered / subscribers / wallS,
          remoteComplete: tight.published ? subsB.delivered / expected : null,
          serverCpuS: cpuS,
          publishesPerCpuS: cpuS > 0 ? tight.published / cpuS : null,
          redisCpuS: redisPids.length ? redisCpu.total : null,
          redisBusiestShare: redisCpu.busiestShare,
          missed: subsB.missed,
          outOfOrder: subsB.outOfOrder,
          incomplete: ordered ? 0 : expected - subsB.delivered,
          publishErrors: tight.errors,
        };
        tput[name].push(record);
        if (tight.errors)
          ctx.fail(
            `${id}: ${tight.errors} publish errors via ${label}: ${tight.firstError?.split('\n')[0]}`,
          );
        if (record.missed || record.outOfOrder || record.incomplete)
          ctx.fail(
            `${id} (${topics.length} topics): ${record.missed} missed, ${record.outOfOrder} out of order, ` +
              `${record.incomplete} not delivered via ${label}`,
          );
        ctx.progress(
          `${id} ripple via ${label} throughput, ${topics.length} topic(s), rep ${rep + 1}: ` +
            `${Math.round(record.acceptedPerS)}/s accepted, ${Math.round(record.deliveredRemotePerS)}/s per remote subscriber` +
            (redisPids.length
              ? `, Redis CPU ${record.redisCpuS.toFixed(2)} s (busiest node ${(record.redisBusiestShare * 100).toFixed(0)}%)`
              : ''),
        );
      }
    }
  } catch (err) {
    ctx.fail(`${id}/ripple-${label}: ${err.message}`);
  } finally {
    await stopAll([...lgA, ...lgB, a, b]);
  }
  return {
    fanout: { reps, median: medianRecord(reps) },
    throughput: Object.fromEntries(
      Object.entries(tput).map(([name, list]) => [
        name,
        { reps: list, median: medianRecord(list) },
      ]),
    ),
  };
}

/**
 * The raw reference (bench/redis/raw-pubsub.mjs): a publisher on the server CPU, a subscriber on
 * the load CPU. On the first set of channels, latency at `sc.rate` over the window, then
 * throughput `inflight` deep for `tputMs`; on any other set, throughput only. `target`: {url} for
 * PUBLISH -> SUBSCRIBE on one Redis, {seeds} for SPUBLISH -> SSUBSCRIBE on a cluster.
 */
async function rawReference(ctx, id, sc, { label, target, channelSets, redisPids = [] }) {
  const out = {};
  let sub;
  let pub;
  try {
    [sub, pub] = [
      ['sub', ctx.loadCpu],
      ['pub', ctx.serverCpu],
    ].map(([role, cpu]) =>
      spawnNode({
        name: `${id}-${label}-${role}-${++serial}`,
        script: 'bench/redis/raw-pubsub.mjs',
        cpu,
        logDir: ctx.logDir,
        cwd: ctx.root,
      }),
    );
    await Promise.all([sub.ready(), pub.ready()]);
    for (const channels of Object.values(channelSets)) {
      await sub.request('subscribe', { ...target, channels });
    }
    await pub.request('connect', target);
    for (const [name, channels] of Object.entries(channelSets)) {
      const withLatency = name === Object.keys(channelSets)[0];
      const reps = [];
      out[name] = { reps };
      for (let rep = 0; rep < ctx.cfg.reps; rep++) {
        let lat = {};
        let got = { received: 0, missed: 0, outOfOrder: 0, done: true };
        let offered = 0;
        if (withLatency) {
          await sub.request('window', {});
          const rate = await pub.request(
            'rate',
            { channels, rate: sc.rate, durationMs: ctx.cfg.windowMs },
            ctx.cfg.windowMs + 60_000,
          );
          offered = rate.published;
          got = await sub.request(
            'await',
            { count: rate.published, timeoutMs: ctx.cfg.drainMs },
            ctx.cfg.drainMs + 30_000,
          );
          lat = latencyFields(Histogram.fromJSON(got.histogram));
        }
        await sub.request('window', {});
        const t0 = performance.now();
        const redis0 = redisPids.map(cpuSeconds);
        const tight = await pub.request(
          'tight',
          { channels, durationMs: sc.tputMs, inflight: sc.inflight },
          sc.tputMs + 60_000,
        );
        const got2 = await sub.request(
          'await',
          { count: tight.published, timeoutMs: ctx.cfg.drainMs },
          ctx.cfg.drainMs + 30_000,
        );
        const wallS = (performance.now() - t0) / 1000;
        const redisCpu = cpuSince(redisPids, redis0);
        const record = {
          channels: channels.length,
          p50Ms: lat.p50Ms,
          p99Ms: lat.p99Ms,
          acceptedPerS: tight.published / (tight.elapsedMs / 1000),
          deliveredPerS: got2.received / wallS,
          redisCpuS: redisPids.length ? redisCpu.total : null,
          redisBusiestShare: redisCpu.busiestShare,
          missed: got.missed + got2.missed,
          outOfOrder: got.outOfOrder + got2.outOfOrder,
        };
        reps.push(record);
        if (!got.done || !got2.done)
          ctx.fail(
            `${id}/${label}: subscriber got ${got.received}/${offered} and ${got2.received}/${tight.published}`,
          );
        if (record.missed || record.outOfOrder)
          ctx.fail(`${id}/${label}: ${record.missed} missed, ${record.outOfOrder} out of order`);
        ctx.progress(
          `${id} ${label}, ${channels.length} channel(s), rep ${rep + 1}: ` +
            (withLatency ? `p50 ${ms2(lat.p50Ms)} ms, p99 ${ms2(lat.p99Ms)} ms, ` : '') +
            `${Math.round(record.acceptedPerS)}/s published, ${Math.round(record.deliveredPerS)}/s received`,
        );
      }
    }
  } catch (err) {
    ctx.fail(`${id}/${label}: ${err.message}`);
  } finally {
    await stopAll([sub, pub]);
  }
  for (const name of Object.keys(channelSets)) {
    const reps = out[name]?.reps ?? [];
    out[name] = { reps, median: medianRecord(reps) };
  }
  return out;
}

const ms2 = (v) => v?.toFixed(2);
