/**
 * Scenario L: the largest scale this machine allows. One server holds as many SSE connections as
 * its open-file limit permits (minus a headroom for its own files), all on the bench topic, and
 * gets 1 event/s: N deliveries/s. Measures the time to connect them all, RSS and heap (at start,
 * connected, steady), the server's CPU second by second, latency, connections lost; then projects
 * what `sc.projectTo` connections at the same rate would cost, from the per-connection and
 * per-delivery figures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, listenOverflows, rssBytes } from './procfs.mjs';
import { medianRecord, sleep } from './stats.mjs';
import {
  checkDelivery,
  connectClients,
  fanoutWindow,
  splitEvenly,
  startLoadgens,
  startServer,
  stopAll,
} from './scenarios.mjs';

/** Ephemeral ports of one source address (net.ipv4.ip_local_port_range), ~28k by default. */
function ephemeralPorts() {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1')
      .trim()
      .split(/\s+/)
      .map(Number);
    return hi - lo + 1;
  } catch {
    return 28_232;
  }
}

/** Kernel slab memory, machine-wide, in bytes (/proc/meminfo "Slab"): where a socket's own structures live. */
function slabBytes() {
  try {
    const m = /^Slab:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'latin1'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** A process's open-file limits ({soft, hard}) from /proc/<pid>/limits. */
export function openFileLimits(pid) {
  const text = readFileSync(`/proc/${pid}/limits`, 'latin1');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const n = (v) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: n(m[1]), hard: n(m[2]) };
}

const openFds = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/**
 * Raises a child's soft open-file limit to its hard limit when it is below `needed` (Node already
 * does this for itself at start, but only up to the hard limit it inherited; prlimit is what a
 * shell wrapper would do, on the running process). Returns the limits it has then.
 */
function ensureOpenFiles(pid, needed) {
  let limits = openFileLimits(pid);
  if (limits.soft < needed && limits.soft < limits.hard) {
    spawnSync('prlimit', ['--pid', String(pid), `--nofile=${limits.hard}:${limits.hard}`], {
      stdio: 'ignore',
    });
    limits = openFileLimits(pid);
  }
  return limits;
}

/** How many connections a server with these limits can hold: its soft limit, less what is open and a headroom. */
export function connectionsFor({ soft }, open, headroom) {
  return Math.max(0, Math.floor((soft - open - headroom) / 100) * 100);
}

/** CPU% and RSS of a process, sampled once a second until stopped. */
function perSecondSampler(pid) {
  const samples = [];
  let lastCpu = cpuSeconds(pid);
  let lastT = performance.now();
  const timer = setInterval(() => {
    const cpu = cpuSeconds(pid);
    const t = performance.now();
    samples.push({ cpu: (cpu - lastCpu) / ((t - lastT) / 1000), rss: rssBytes(pid) });
    lastCpu = cpu;
    lastT = t;
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

export async function scaleScenario(ctx, id, title, sc) {
  const out = {
    id,
    title,
    config: { ...sc, reps: 1, ephemeralPorts: ephemeralPorts() },
    servers: {},
    notes: [],
  };
  for (const kind of ctx.servers) {
    let server;
    let lgs = [];
    const reps = [];
    try {
      // Ripple refuses streams past RIPPLE_MAX_CONNECTIONS (default 10,000): an instance run at
      // this scale raises it to what its open-file limit holds, as this does.
      const { hard } = openFileLimits(process.pid);
      // (10,000,000 is the setting's upper bound, for an unlimited hard limit.)
      const max = Math.max(1, Math.min(hard - sc.headroom, 10_000_000));
      const env = { RIPPLE_MAX_CONNECTIONS: String(max) };
      server = await startServer(ctx, kind, { env });
      const record = await scaleOnce(ctx, id, kind, sc, server, (started) => (lgs = started));
      reps.push(record);
      ctx.progress(`${id} ${kind}: ${summarizeScale(record)}`);
    } catch (err) {
      ctx.fail(`${id}/${kind}: ${err.message}`);
    } finally {
      await stopAll([...lgs, server]);
    }
    out.servers[kind] = { reps, median: medianRecord(reps) };
  }
  return out;
}

async function scaleOnce(ctx, id, kind, sc, server, onLoadgens) {
  await sleep(300);
  const start = await server.request('gc');
  const rssStart = rssBytes(server.pid);
  const limits = openFileLimits(server.pid);
  const fdsAtStart = openFds(server.pid);
  const room = connectionsFor(limits, fdsAtStart, sc.headroom);
  // Bounded in time and load generators where the hard limit is far higher (1M in many containers).
  const n = sc.clients || Math.min(room, sc.maxClients);
  ctx.progress(
    `${id} ${kind}: open files ${limits.soft} (hard ${limits.hard}), ${fdsAtStart} open at start, ` +
      `headroom ${sc.headroom}: ${n} connections${!sc.clients && n < room ? ` (capped at ${sc.maxClients})` : ''}`,
  );
  if (n === 0)
    throw new Error(`no room for connections under an open-file limit of ${limits.soft}`);

  const lgs = onLoadgens(await startLoadgens(ctx, n));
  const shares = splitEvenly(n, lgs.length);
  lgs.forEach((lg, i) => {
    const needed = shares[i] + 256;
    const got = ensureOpenFiles(lg.pid, needed);
    if (got.soft < needed)
      throw new Error(`${lg.name}: open-file limit ${got.soft}, needs ${needed} (ulimit -Hn)`);
  });

  // Connect: at most sc.maxConnecting opening at a time, under the listen backlog (as in S).
  const slab0 = slabBytes();
  const overflows0 = listenOverflows();
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  await connectClients(ctx, server, lgs, n, { maxConnecting: sc.maxConnecting });
  const connectS = (performance.now() - t0) / 1000;
  const connectCpuS = cpuSeconds(server.pid) - cpu0;
  const overflows1 = listenOverflows();
  const connected = await server.request('gc');
  const rssConnected = rssBytes(server.pid);
  const slab1 = slabBytes();

  // Warm-up, then the measured window at sc.rate, sampled second by second.
  const params = { publisher: server, servers: [server], lgs, clients: n, rate: sc.rate };
  await fanoutWindow(ctx, { ...params, durationMs: sc.warmupMs });
  const perSecond = perSecondSampler(server.pid);
  const w = await fanoutWindow(ctx, { ...params, durationMs: ctx.cfg.windowMs });
  const seconds = perSecond.stop();
  const steady = await server.request('stats');
  const rssSteady = rssBytes(server.pid);
  const collected = await server.request('gc');
  checkDelivery(ctx, `${id}/${kind}`, w.record, { lateIsFailure: ctx.quick });
  if (w.firstError) ctx.fail(`${id}/${kind}: publish error: ${w.firstError.split('\n')[0]}`);
  const lost = n - steady.subscribers;
  if (lost > 0) ctx.fail(`${id}/${kind}: ${lost} of ${n} connections lost during the window`);

  const cpus = seconds.map((s) => s.cpu);
  const record = {
    connections: n,
    fdSoftLimit: limits.soft,
    fdHardLimit: limits.hard,
    fdsAtStart,
    connectS,
    connectedPerS: n / connectS,
    connectCpuMsPerConn: (1000 * connectCpuS) / n,
    listenOverflows: overflows0 == null || overflows1 == null ? null : overflows1 - overflows0,
    rssStartMB: rssStart / 2 ** 20,
    rssConnectedMB: rssConnected / 2 ** 20,
    rssSteadyMB: rssSteady / 2 ** 20,
    rssPeakMB: w.record.rssPeakMB,
    heapStartMB: start.heapUsed / 2 ** 20,
    heapConnectedMB: connected.heapUsed / 2 ** 20,
    heapSteadyMB: steady.heapUsed / 2 ** 20,
    heapCollectedMB: collected.heapUsed / 2 ** 20,
    rssPerConnKB: (rssSteady - rssStart) / n / 1024,
    heapPerConnKB: (collected.heapUsed - start.heapUsed) / n / 1024,
    slabPerSocketKB: slab0 == null || slab1 == null ? null : (slab1 - slab0) / (2 * n) / 1024,
    serverCpuUtil: w.record.serverCpuUtil,
    cpuPerSecondMax: cpus.length ? Math.max(...cpus) : null,
    cpuPerSecond: cpus.map((c) => Math.round(c * 1000) / 10).join(' '),
    cpuUsPerDelivery: w.record.delivered ? (1e6 * w.record.serverCpuS) / w.record.delivered : null,
    deliveredPerS: w.record.deliveredPerS,
    publishRatePerS: w.record.publishRatePerS,
    delivered: w.record.delivered,
    expected: w.record.expected,
    p50Ms: w.record.p50Ms,
    p99Ms: w.record.p99Ms,
    maxMs: w.record.maxMs,
    elu: w.record.elu,
    lost,
    unexpectedClose: w.record.unexpectedClose,
    missed: w.record.missed,
    late: w.record.late,
    loadgenCpuUtil: w.record.loadgenCpuUtil,
  };
  return { ...record, ...projection(record, sc.projectTo, sc.rate, ephemeralPorts()) };
}

/**
 * What `target` connections at `rate` events/s would cost, assuming memory grows linearly per
 * connection from the measured start, CPU per delivery stays what it was at N (as B shows from
 * 1k to 10k), and one source address gives `ports` client ports (a load test from one host;
 * real clients bring their own addresses).
 */
export function projection(r, target, rate, ports) {
  return {
    projectTo: target,
    projRssGB: (r.rssStartMB + (r.rssPerConnKB * target) / 1024) / 1024,
    projHeapGB: (r.heapStartMB + (r.heapPerConnKB * target) / 1024) / 1024,
    projSlabGB: r.slabPerSocketKB == null ? null : (r.slabPerSocketKB * target) / 2 ** 20,
    projCores: r.cpuUsPerDelivery == null ? null : (r.cpuUsPerDelivery * target * rate) / 1e6,
    projFds: target + r.fdsAtStart,
    projSourceAddresses: Math.ceil(target / ports),
    projConnectS: (r.connectS * target) / r.connections,
    projConnectCpuS: (r.connectCpuMsPerConn * target) / 1000,
  };
}

function summarizeScale(r) {
  const f = (v, d = 0) => (v == null ? '-' : v.toFixed(d));
  return (
    `${r.connections} conns in ${f(r.connectS, 1)} s, rss ${f(r.rssStartMB)} → ${f(r.rssConnectedMB)} → ${f(r.rssSteadyMB)} MB ` +
    `(${f(r.rssPerConnKB, 1)} KB/conn), heap ${f(r.heapPerConnKB, 1)} KB/conn, cpu ${f(r.serverCpuUtil * 100)}% ` +
    `(max ${f(r.cpuPerSecondMax * 100)}%/s), ${f(r.cpuUsPerDelivery, 2)} µs/delivery, p50 ${f(r.p50Ms)} ms p99 ${f(r.p99Ms)} ms, ` +
    `elu ${f(r.elu * 100)}%, lg cpu ${f(r.loadgenCpuUtil * 100)}%, lost ${r.lost}; 100k: ${f(r.projRssGB, 2)} GB RSS, ${f(r.projCores, 2)} cores`
  );
}
