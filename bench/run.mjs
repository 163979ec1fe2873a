#!/usr/bin/env node
/**
 * npm run bench [-- options]
 *
 * Builds Ripple as users do (npm run build -> dist/), then runs the scenarios against Ripple and the
 * baselines, each server in its own process pinned to one core, the load generators pinned to the
 * other. Writes bench/results/<time>-<mode>.{md,json} (and latest.{md,json}); exits non-zero when the
 * benchmark itself breaks (a process fails, an event is lost or reordered), never on timings.
 *
 *   --quick             smaller N, shorter windows, one run per scenario (the CI smoke run, < 2 min)
 *   --only=A,C          run only these scenarios (A B C D E F G H S L)
 *   --servers=ripple,raw   only these servers (ripple raw corked nest ripple-fastify ripple-h2 raw-h2;
 *                          the last three run in scenario A only)
 *   --reps=N            runs per scenario (default 3, or 1 with --quick)
 *   --no-build          use the dist/ that is there
 *   --ref=HEAD          build and measure the Ripple of a commit instead of the working tree (exported
 *                       read-only with git archive into bench/results/build/, built there with
 *                       npm run build): leaves uncommitted work out, and measures a rewrite against
 *                       the commit before it
 *   --profile=A         run Ripple with --cpu-prof in that scenario and summarise the profile
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import {
  readFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { canPin, killAll, liveChildren } from './lib/children.mjs';
import { summarizeProfile } from './lib/profile.mjs';
import { addRatios, markdown } from './lib/report.mjs';
import {
  SERVERS,
  clusterScenario,
  fanoutScenario,
  idleScenario,
  publishScenario,
  redisScenario,
  slowScenario,
  startCluster,
  stormScenario,
} from './lib/scenarios.mjs';
import { scaleScenario } from './lib/scale.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
const startedAt = new Date();

// ---------------------------------------------------------------------------------------------
// Options and configuration

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const known = ['quick', 'no-build', 'only', 'servers', 'reps', 'profile', 'ref', 'help'];
for (const a of argv) {
  const name = a.replace(/^--/, '').split('=')[0];
  if (!a.startsWith('--') || !known.includes(name)) {
    console.error(`bench: unknown argument ${a} (known: ${known.map((k) => `--${k}`).join(' ')})`);
    process.exit(2);
  }
}
if (flag('help')) {
  console.log(readHelp());
  process.exit(0);
}

const quick = flag('quick');
const MODES = {
  quick: {
    reps: 1,
    windowMs: 1500,
    warmupMs: 300,
    drainMs: 10_000,
    idleSettleMs: 500,
    connectTimeoutMs: 30_000,
    // L's 2,000 connections brought a quiet run to about 120 s; A runs three more servers
    // (Fastify, HTTP/2, raw node:http2), 5 to 6 s each in a quick run.
    budgetS: 170,
    watchdogS: 300,
    scenarios: {
      A: { clients: 200, rate: 100, burst: 1 },
      B: { clients: 1000, rate: 10, burst: 1 },
      C: { clients: 200, rate: 100, burst: 10 },
      D: { clients: 1000 },
      E: { fast: 10, slow: 2, rate: 1000, payloadBytes: 2048, windowMs: 1500 },
      F: {
        subscribers: 4,
        httpConnections: 32,
        httpMs: 1000,
        tightMs: 500,
        inflight: 64,
        batch: 100,
        batchConnections: 4,
        batchMs: 500,
      },
      G: { clients: 100, rate: 50, tputSubscribers: 2, tputMs: 1000, inflight: 64 },
      // prettier-ignore
      H: { clients: 100, rate: 50, tputSubscribers: 2, tputMs: 400, inflight: 64, masters: 3, topicsPerMaster: 1, windowMs: 800 },
      // prettier-ignore
      S: { clients: 1000, warmupClients: 1000, maxConnecting: 500, seed: 200, history: 1000, backs: [5, 20, 50, 120], live: 5 },
      // prettier-ignore
      L: { clients: 2000, headroom: 500, rate: 1, warmupMs: 1000, windowMs: 2000, maxConnecting: 500, projectTo: 100_000 },
    },
  },
  full: {
    reps: 3,
    windowMs: 5000,
    warmupMs: 1500,
    drainMs: 10_000,
    idleSettleMs: 1000,
    connectTimeoutMs: 60_000,
    // S's storms take about 1.5 min of it, L about 2.5 (4 servers).
    budgetS: 1200,
    watchdogS: 1500,
    scenarios: {
      A: { clients: 1000, rate: 100, burst: 1 },
      B: { clients: 10_000, rate: 10, burst: 1 },
      C: { clients: 1000, rate: 100, burst: 10 },
      D: { clients: 5000 },
      E: { fast: 20, slow: 4, rate: 1000, payloadBytes: 2048, windowMs: 6000 },
      F: {
        subscribers: 4,
        httpConnections: 32,
        httpMs: 3000,
        tightMs: 2000,
        inflight: 64,
        batch: 100,
        batchConnections: 4,
        batchMs: 1000,
      },
      G: { clients: 400, rate: 50, tputSubscribers: 2, tputMs: 3000, inflight: 64 },
      // prettier-ignore
      H: { clients: 400, rate: 50, tputSubscribers: 2, tputMs: 2000, inflight: 64, masters: 3, topicsPerMaster: 2, windowMs: 3000 },
      // prettier-ignore
      S: { clients: 10_000, warmupClients: 1000, maxConnecting: 500, seed: 200, history: 1000, backs: [5, 20, 50, 120], live: 5 },
      // No `clients`: as many as the server's open-file limit holds, less `headroom`, at most
      // `maxClients` (scale.mjs).
      // prettier-ignore
      L: { headroom: 500, maxClients: 50_000, rate: 1, warmupMs: 2000, windowMs: 10_000, maxConnecting: 500, projectTo: 100_000 },
    },
  },
};
const mode = quick ? 'quick' : 'full';
const cfg = { ...MODES[mode] };
if (option('reps')) cfg.reps = Math.max(1, Math.min(10, Number(option('reps')) || 1));

const only = option('only')?.toUpperCase().split(',').filter(Boolean);
const servers = option('servers')?.split(',').filter(Boolean) ?? Object.keys(SERVERS);
for (const s of servers) {
  if (!SERVERS[s]) {
    console.error(`bench: unknown server ${s} (known: ${Object.keys(SERVERS).join(', ')})`);
    process.exit(2);
  }
}

const SCENARIOS = [
  {
    id: 'A',
    kind: 'fanout',
    run: fanoutScenario,
    title: 'Steady fan-out, many events',
    short: (c) => `${c.clients} clients × ${c.rate} ev/s`,
  },
  {
    id: 'B',
    kind: 'fanout',
    run: fanoutScenario,
    title: 'Steady fan-out, many clients',
    short: (c) => `${c.clients} clients × ${c.rate} ev/s`,
  },
  {
    id: 'C',
    kind: 'fanout',
    run: fanoutScenario,
    title: 'Bursts: several events per tick',
    short: (c) => `burst, ${c.clients} clients, ${c.burst} ev per ${(1000 * c.burst) / c.rate} ms`,
  },
  {
    id: 'D',
    kind: 'idle',
    run: idleScenario,
    title: 'Memory per idle connection',
    short: () => 'RSS per idle connection',
  },
  {
    id: 'E',
    kind: 'slow',
    run: slowScenario,
    title: 'Slow clients (never read) beside reading ones',
    short: () => 'slow clients: RSS growth',
  },
  {
    id: 'F',
    kind: 'publish',
    run: publishScenario,
    title: 'Publish throughput',
    short: () => 'publishes/s',
  },
  {
    id: 'G',
    kind: 'redis',
    run: redisScenario,
    title: 'Two Ripple instances on one Redis',
    short: () => 'via Redis',
  },
  {
    id: 'H',
    kind: 'cluster',
    run: clusterScenario,
    title: 'Two Ripple instances on a Redis Cluster',
    short: () => 'via Redis Cluster',
  },
  {
    id: 'S',
    kind: 'storm',
    run: stormScenario,
    title: 'Reconnect storm: every client resumes from a cursor at once',
    short: (c) => `storm: ${c.clients} clients resume at once`,
  },
  {
    id: 'L',
    kind: 'scale',
    run: scaleScenario,
    title: 'The largest scale on this machine: every connection its file limit allows, 1 ev/s',
    short: (c) => `${c.clients ?? 'fd-limit'} clients × ${c.rate} ev/s`,
  },
].filter((s) => !only || only.includes(s.id));

// ---------------------------------------------------------------------------------------------
// Cleanup: every child is killed however the run ends.

process.on('exit', () => killAll());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping ${liveChildren().length} processes`);
    killAll();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
process.on('uncaughtException', (err) => {
  console.error('bench: uncaught', err);
  killAll();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error('bench: unhandled rejection', err);
  killAll();
  process.exit(1);
});

// ---------------------------------------------------------------------------------------------
// Setup

const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
const resultsDir = join(ROOT, 'bench', 'results');
const logDir = join(resultsDir, 'logs', `${stamp}-${mode}`);
mkdirSync(logDir, { recursive: true });

const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const progress = (msg) => console.log(`[${elapsed()}] ${msg}`);

const results = {
  meta: {
    mode,
    startedAt: startedAt.toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model?.trim() ?? '?',
    git: gitDescription(),
    config: cfg,
  },
  scenarios: {},
  failures: [],
  notes: [],
};
const fail = (msg) => {
  // The report keeps the first line (and the log's path); the console gets all of it.
  const lines = msg.split('\n');
  const log = /last lines of (\S+):/.exec(msg)?.[1];
  const cause = lines.map((l) => l.trim()).find((l) => /^(\w*Error|error)\b/.test(l));
  results.failures.push(
    [lines[0], cause, log && `log: ${log.slice(ROOT.length)}`].filter(Boolean).join(' — '),
  );
  console.log(`[${elapsed()}] PROBLEM: ${msg}`);
};

// Pinning: servers on CPU 0, load generators (and this process) on CPU 1.
const pinned = cpus().length >= 2 && canPin();
const serverCpu = pinned ? 0 : null;
const loadCpu = pinned ? 1 : null;
Object.assign(results.meta, { pinned, serverCpu, loadCpu });
if (pinned) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(loadCpu), String(process.pid)], {
      stdio: 'ignore',
    });
  } catch {
    // not fatal: the orchestrator mostly sleeps
  }
} else {
  results.notes.push(
    'taskset or a second CPU is missing: processes are not pinned, figures are noisier',
  );
}

// File descriptors: each process may hold (connections + a margin) sockets.
const hardLimit =
  Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()) || Infinity;
const maxClients = Math.max(...Object.values(cfg.scenarios).map((s) => s.clients ?? 0));
if (maxClients + 512 > hardLimit) {
  console.error(
    `bench: ulimit -Hn is ${hardLimit}, the run needs ${maxClients + 512} descriptors per process; raise it`,
  );
  process.exit(2);
}

function gitDescription() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    // --no-optional-locks: read only, the index is not refreshed.
    const dirty = execFileSync(
      'git',
      ['--no-optional-locks', 'status', '--porcelain', '--', 'src'],
      { cwd: ROOT, encoding: 'utf8' },
    ).trim();
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown';
  }
}

function readHelp() {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const block = text.slice(text.indexOf('/**') + 3, text.indexOf('*/'));
  return block.replace(/^ \* ?/gm, '').trim();
}

function build() {
  progress('npm run build (Ripple as users build it)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  writeFileSync(join(logDir, 'build.log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0) {
    console.error(
      `bench: npm run build failed (status ${r.status ?? r.signal}):\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n')}`,
    );
    process.exit(1);
  }
}

/**
 * Exports `ref` (git archive: reads the repository, changes nothing in it) into `dir`, with the
 * project's node_modules linked in, and builds it there with npm run build. Returns its dist/.
 */
function buildRef(ref, dir) {
  progress(`git archive ${ref} -> ${relative(ROOT, dir)}, then npm run build there`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const exported = spawnSync(
    'sh',
    ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', ref, dir],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (exported.status !== 0) {
    console.error(`bench: cannot export ${ref}: ${exported.stderr.trim()}`);
    process.exit(2);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const r = spawnSync('npm', ['run', 'build'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  writeFileSync(join(logDir, 'build.log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0) {
    console.error(
      `bench: npm run build of ${ref} failed:\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n')}`,
    );
    process.exit(1);
  }
  return join(dir, 'dist');
}

/**
 * Copies dist/ (and public/, which dist/app.setup.js serves from ../public) to a snapshot of the
 * run's own, and checks that the copy loads: the working tree is shared, and another `nest build`
 * (deleteOutDir) can empty dist/ at any moment of a run. Returns the snapshot's dist/ or null.
 */
function snapshotBuild(dir, from = ROOT) {
  rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(join(from, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(from, 'public'), join(dir, 'public'), { recursive: true });
  } catch (err) {
    return { error: `copy failed: ${err.message}` };
  }
  const entry = pathToFileURL(join(dir, 'dist', 'app.module.js')).href;
  const check = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(entry)}); await import(${JSON.stringify(new URL('sse/index.js', entry).href)});`,
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  if (check.status !== 0)
    return {
      error: `the copy does not load: ${(check.stderr || '').trim().split('\n').slice(0, 3).join(' ')}`,
    };
  return { dist: join(dir, 'dist') };
}

/** Whether the built config knows a Redis key prefix variable, and whether Redis answers. */
async function redisInfo() {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const info = {
    url,
    prefix: `ripple-bench-${process.pid}-${Date.now()}:`,
    prefixVar: null,
    clusterTransport: false,
    reachable: false,
  };
  try {
    const config = await import(pathToFileURL(join(rippleDist, 'config/ripple.config.js')).href);
    const names = Object.keys(config.rippleEnvSchema?.shape ?? {});
    info.prefixVar =
      ['RIPPLE_REDIS_KEY_PREFIX', 'RIPPLE_REDIS_PREFIX'].find((n) => names.includes(n)) ??
      names.find((n) => /^RIPPLE_REDIS\w*PREFIX$/.test(n)) ??
      null;
    const transport = config.rippleEnvSchema?.shape?.RIPPLE_TRANSPORT;
    info.clusterTransport = (transport?.unwrap?.().options ?? []).includes('redis-cluster');
  } catch (err) {
    results.notes.push(`could not read dist/config/ripple.config.js: ${err.message}`);
  }
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    results.notes.push(
      `REDIS_URL ${url} is not loopback: the benchmark stays on loopback, G is skipped`,
    );
    return info;
  }
  if (!info.prefixVar) return info;
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    info.reachable = (await redis.ping()) === 'PONG';
  } catch {
    info.reachable = false;
  } finally {
    redis.disconnect();
  }
  return info;
}

/**
 * Deletes the run's Redis keys (its prefix is unique to the run), or with `stale`, those of earlier
 * runs whose process is gone (a run that was SIGKILLed); says how many there were.
 */
async function cleanRedis(info, { stale = false } = {}) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(info.url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const pattern = stale ? 'ripple-bench-*' : `${info.prefix}*`;
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const keys = stale
        ? found.filter((key) => !alive(Number(/^ripple-bench-(\d+)-/.exec(key)?.[1])))
        : found;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch (err) {
    results.notes.push(`could not clean the run's Redis keys (${info.prefix}*): ${err.message}`);
  } finally {
    redis.disconnect();
  }
  return deleted;
}

function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return true; // not ours to judge
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function writeResults() {
  results.meta.durationS = (performance.now() - started) / 1000;
  const base = join(resultsDir, `${stamp}-${mode}`);
  const md = markdown(results);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  copyFileSync(`${base}.json`, join(resultsDir, 'latest.json'));
  copyFileSync(`${base}.md`, join(resultsDir, 'latest.md'));
  return { md, base };
}

// ---------------------------------------------------------------------------------------------
// Run

// Bounded in time: past the watchdog, everything is killed and the run fails.
const watchdog = setTimeout(() => {
  fail(`the run exceeded its time limit of ${cfg.watchdogS} s`);
  killAll();
  try {
    writeResults();
  } finally {
    process.exit(3);
  }
}, cfg.watchdogS * 1000);

// H's Redis Cluster forms while Ripple builds: seconds of waiting that would otherwise be the run's.
const cluster = SCENARIOS.some((s) => s.id === 'H')
  ? startCluster({ root: ROOT, logDir }, cfg.scenarios.H.masters)
  : null;

const snapshotDir = join(resultsDir, 'build', `${stamp}-${mode}`);
// Snapshots of runs that could not remove theirs (SIGKILL), older than an hour.
for (const old of existsSync(join(resultsDir, 'build'))
  ? readdirSync(join(resultsDir, 'build'))
  : []) {
  const path = join(resultsDir, 'build', old);
  if (Date.now() - statSync(path).mtimeMs > 3_600_000)
    rmSync(path, { recursive: true, force: true });
}
process.on('exit', () => rmSync(snapshotDir, { recursive: true, force: true }));
let rippleDist = null;
const ref = option('ref');
if (ref) {
  const dir = join(resultsDir, 'build', `${stamp}-${mode}-src`);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  buildRef(ref, dir);
  const snap = snapshotBuild(snapshotDir, dir);
  if (!snap.dist) {
    console.error(`bench: the build of ${ref} does not load (${snap.error})`);
    process.exit(1);
  }
  rippleDist = snap.dist;
  results.meta.git = `${execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim()} (--ref=${ref})`;
}
for (let attempt = 1; attempt <= 3 && !rippleDist; attempt++) {
  if (!flag('no-build')) build();
  if (!existsSync(join(ROOT, 'dist/app.module.js'))) {
    console.error('bench: dist/app.module.js is missing: run npm run build (or drop --no-build)');
    if (flag('no-build')) process.exit(1);
    continue;
  }
  const snap = snapshotBuild(snapshotDir);
  if (snap.dist) rippleDist = snap.dist;
  else
    progress(
      `the build could not be snapshotted (${snap.error})${attempt < 3 ? ', building again' : ''}`,
    );
}
if (!rippleDist) {
  console.error('bench: no usable build of Ripple (is another build running in this tree?)');
  process.exit(1);
}
results.meta.rippleBuild = ref
  ? `${ref}, exported with git archive and built with npm run build`
  : `dist/ from npm run build, copied to ${snapshotDir.slice(ROOT.length)}/dist for the run`;

const profileScenario = option('profile')?.toUpperCase();
const profileDir = join(resultsDir, 'profiles', `${stamp}-${mode}`);
if (profileScenario) mkdirSync(profileDir, { recursive: true });

const ctx = {
  root: ROOT,
  rippleDist,
  cfg,
  quick,
  servers,
  serverCpu,
  loadCpu,
  logDir,
  fail,
  progress,
  profile: profileScenario ? { scenario: profileScenario, dir: profileDir } : null,
  redis: await redisInfo(),
  cluster,
  scenario: null,
};
if (ctx.redis.reachable && SCENARIOS.some((s) => s.id === 'G')) {
  const stale = await cleanRedis(ctx.redis, { stale: true });
  if (stale)
    results.notes.push(`deleted ${stale} Redis keys left by earlier runs that were killed`);
}

progress(
  `${mode} run: scenarios ${SCENARIOS.map((s) => s.id).join(' ')}, servers ${servers.join(' ')}, ${cfg.reps} run(s) each; ` +
    `${pinned ? `servers on CPU ${serverCpu}, load on CPU ${loadCpu}` : 'not pinned'}; logs in ${logDir}`,
);

for (const s of SCENARIOS) {
  ctx.scenario = s.id;
  const sc = { ...cfg.scenarios[s.id] };
  const runCfg = sc.windowMs ? { ...cfg, windowMs: sc.windowMs } : cfg;
  progress(`scenario ${s.id}: ${s.title}`);
  const scenarioServers = servers.filter((k) => SERVERS[k].scenarios?.includes(s.id) ?? true);
  const result = await s.run(
    { ...ctx, cfg: runCfg, servers: scenarioServers },
    s.id,
    s.title,
    sc,
  );
  result.kind = s.kind;
  result.short = s.short(sc);
  addRatios(result);
  results.scenarios[s.id] = result;
  if (result.skipped) progress(`${s.id}: ${result.skipped}`);
}

await cluster?.stop();

const G = results.scenarios.G;
if (G && !G.skipped) {
  const deleted = await cleanRedis(ctx.redis);
  if (deleted === 0) {
    results.notes.push(
      `G: no Redis key had the run's prefix (${ctx.redis.prefixVar}=${ctx.redis.prefix}): is the prefix passed through to SseModule?`,
    );
  }
}

if (ctx.profile) {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length) {
    results.profile = files.map((f) => summarizeProfile(join(profileDir, f))).join('\n\n');
  } else {
    results.notes.push(
      `no CPU profile was written for scenario ${profileScenario} (did Ripple run in it?)`,
    );
  }
}

clearTimeout(watchdog);
const { md, base } = writeResults();
console.log(`\n${md}`);
console.log(`Results: ${base}.md and .json (also bench/results/latest.md); logs: ${logDir}`);
const durationS = results.meta.durationS;
if (durationS > cfg.budgetS) {
  console.log(
    `Note: the run took ${durationS.toFixed(0)} s, over its ${cfg.budgetS} s budget (a busy machine?)`,
  );
}
if (results.failures.length) {
  console.log(
    `\nbench: ${results.failures.length} problem(s): the benchmark is broken somewhere (see above).`,
  );
  process.exit(1);
}
process.exit(0);
