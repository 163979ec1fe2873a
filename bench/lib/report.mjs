/**
 * The markdown report and Ripple's ratios to each baseline, from the run's result record.
 */
import { SERVERS } from './scenarios.mjs';

const BASELINES = ['raw', 'corked', 'nest'];
/**
 * The ratios a scenario gets, `a/b` for each pair present: Ripple ÷ each baseline; Ripple on
 * Fastify ÷ on Express and ÷ raw; over HTTP/2, Ripple ÷ its raw baseline and each ÷ its HTTP/1.1
 * self (Ripple's on Fastify, the same platform, and on Express).
 */
const RATIO_PAIRS = [
  ...BASELINES.map((base) => ['ripple', base]),
  ['ripple-fastify', 'ripple'],
  ['ripple-fastify', 'raw'],
  ['ripple-h2', 'raw-h2'],
  ['ripple-h2', 'ripple-fastify'],
  ['ripple-h2', 'ripple'],
  ['raw-h2', 'raw'],
];

export function num(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function ms(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

const signedMs = (v) =>
  v == null || !Number.isFinite(v) ? '–' : `${v < 0 ? '−' : '+'}${ms(Math.abs(v))}`;
const pct = (v) => (v == null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(0)}%`);
const x = (v) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const mb = (v) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(1)} MB`);
const kb = (v) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(1)} KB`);
const int = (v) => (v == null || !Number.isFinite(v) ? '–' : String(Math.round(v)));

/** Which metrics get a Ripple ÷ baseline ratio, per kind of scenario; `better` says which way. */
export const RATIO_METRICS = {
  fanout: {
    deliveriesPerCpuS: 'higher',
    deliveredPerS: 'higher',
    p50Ms: 'lower',
    p99Ms: 'lower',
    elu: 'lower',
    serverCpuS: 'lower',
    rssPeakMB: 'lower',
  },
  idle: { rssPerConnKB: 'lower', heapPerConnKB: 'lower' },
  slow: { rssGrowthMB: 'lower', rssPeakMB: 'lower', fastP99Ms: 'lower' },
  publish: {
    httpPerS: 'higher',
    httpPerCpuS: 'higher',
    tightPerS: 'higher',
    tightPerCpuS: 'higher',
  },
  storm: {
    acceptedPerCpuS: 'higher',
    wallS: 'lower',
    serverCpuS: 'lower',
    openP50Ms: 'lower',
    caughtUpP50Ms: 'lower',
    caughtUpP99Ms: 'lower',
    rssPeakMB: 'lower',
  },
  scale: {
    rssPerConnKB: 'lower',
    heapPerConnKB: 'lower',
    serverCpuUtil: 'lower',
    cpuUsPerDelivery: 'lower',
    p50Ms: 'lower',
    p99Ms: 'lower',
  },
};

/** Adds `ratios` (Ripple ÷ each baseline, per metric) to a scenario's result. */
export function addRatios(scenario) {
  const metrics = RATIO_METRICS[scenario.kind];
  if (!metrics) return;
  for (const [name, base] of RATIO_PAIRS) {
    const one = scenario.servers[name]?.median;
    const other = scenario.servers[base]?.median;
    if (!one || !other) continue;
    const r = {};
    for (const m of Object.keys(metrics)) {
      r[m] = one[m] != null && other[m] ? one[m] / other[m] : null;
    }
    scenario.ratios ??= {};
    scenario.ratios[`${name}/${base}`] = r;
  }
}

function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function serverRows(scenario, columns) {
  return Object.entries(scenario.servers)
    .filter(([, s]) => s.reps.length > 0)
    .map(([name, s]) => [name, ...columns.map(([, f]) => f(s.median))]);
}

function ratioRows(scenario, columns) {
  if (!scenario.ratios) return [];
  return Object.entries(scenario.ratios).map(([name, r]) => [
    `*${name}*`,
    ...columns.map(([, , metric]) => (metric && metric in r ? x(r[metric]) : '')),
  ]);
}

const FANOUT_COLUMNS = [
  ['deliveries / server CPU-s', (m) => num(m.deliveriesPerCpuS), 'deliveriesPerCpuS'],
  ['deliveries/s', (m) => num(m.deliveredPerS), 'deliveredPerS'],
  [
    'server CPU-s (of wall)',
    (m) => (m.serverCpuS == null ? '–' : `${m.serverCpuS.toFixed(2)} s (${pct(m.serverCpuUtil)})`),
    'serverCpuS',
  ],
  ['ELU', (m) => pct(m.elu), 'elu'],
  ['p50', (m) => ms(m.p50Ms), 'p50Ms'],
  ['p99', (m) => ms(m.p99Ms), 'p99Ms'],
  ['max', (m) => ms(m.maxMs)],
  ['RSS peak', (m) => mb(m.rssPeakMB), 'rssPeakMB'],
  ['published/s', (m) => num(m.publishRatePerS)],
  [
    'late / missed / out-of-order',
    (m) => `${int(m.late)} / ${int(m.missed)} / ${int(m.outOfOrder)}`,
  ],
  ['loadgen CPU', (m) => pct(m.loadgenCpuUtil)],
];

const IDLE_COLUMNS = [
  ['connections', (m) => int(m.connections)],
  ['RSS per connection', (m) => kb(m.rssPerConnKB), 'rssPerConnKB'],
  ['heap per connection', (m) => kb(m.heapPerConnKB), 'heapPerConnKB'],
  ['RSS before → after', (m) => `${mb(m.rssBeforeMB)} → ${mb(m.rssAfterMB)}`],
];

const SLOW_COLUMNS = [
  ['RSS growth (peak − start)', (m) => mb(m.rssGrowthMB), 'rssGrowthMB'],
  ['RSS peak', (m) => mb(m.rssPeakMB), 'rssPeakMB'],
  ['offered per slow client', (m) => mb(m.offeredPerSlowMB)],
  ['slow clients dropped', (m) => int(m.slowDropped)],
  ['reading clients p99', (m) => ms(m.fastP99Ms), 'fastP99Ms'],
  ['reading clients late / missed', (m) => `${int(m.fastLate)} / ${int(m.missed)}`],
];

const PUBLISH_COLUMNS = [
  ['HTTP publishes/s', (m) => num(m.httpPerS), 'httpPerS'],
  ['HTTP / server CPU-s', (m) => num(m.httpPerCpuS), 'httpPerCpuS'],
  ['server CPU (HTTP)', (m) => pct(m.httpServerCpuUtil)],
  ['HTTP fan-out done', (m) => pct(m.httpFanoutComplete)],
  ['HTTP batch events/s (Ripple)', (m) => num(m.batchPerS)],
  ['batch events / server CPU-s', (m) => num(m.batchPerCpuS)],
  ['in-process publishes/s', (m) => num(m.tightPerS), 'tightPerS'],
  ['in-process / server CPU-s', (m) => num(m.tightPerCpuS), 'tightPerCpuS'],
  ['server CPU (in process)', (m) => pct(m.tightServerCpuUtil)],
  ['in-process fan-out done', (m) => pct(m.tightFanoutComplete)],
  ['drain (s)', (m) => (m.tightDrainS == null ? '–' : m.tightDrainS.toFixed(1))],
  ['subscribers dropped', (m) => int(m.subscribersDropped)],
];

const STORM_COLUMNS = [
  ['connections / server CPU-s', (m) => num(m.acceptedPerCpuS), 'acceptedPerCpuS'],
  ['CPU per connection', (m) => ms(m.cpuMsPerConn)],
  ['all caught up in', (m) => (m.wallS == null ? '–' : `${m.wallS.toFixed(2)} s`), 'wallS'],
  [
    'server CPU-s (of wall)',
    (m) => (m.serverCpuS == null ? '–' : `${m.serverCpuS.toFixed(2)} s (${pct(m.serverCpuUtil)})`),
    'serverCpuS',
  ],
  ['ELU', (m) => pct(m.elu)],
  ['first frame p50 / p99', (m) => `${ms(m.openP50Ms)} / ${ms(m.openP99Ms)}`, 'openP50Ms'],
  ['caught up p50', (m) => ms(m.caughtUpP50Ms), 'caughtUpP50Ms'],
  ['caught up p99', (m) => ms(m.caughtUpP99Ms), 'caughtUpP99Ms'],
  ['RSS start → peak', (m) => `${mb(m.rssStartMB)} → ${mb(m.rssPeakMB)}`, 'rssPeakMB'],
  ['events replayed', (m) => num(m.replayed)],
  ['listen queue overflows', (m) => int(m.listenOverflows)],
  [
    'live after: delivered / missed / out-of-order',
    (m) => `${num(m.liveDelivered)} / ${int(m.missed)} / ${int(m.outOfOrder)}`,
  ],
  ['loadgen CPU', (m) => pct(m.loadgenCpuUtil)],
];

function scenarioSection(s, results) {
  const head = `### ${s.id}. ${s.title}\n\n${describeConfig(s)}\n`;
  if (s.skipped) return `${head}\n**${s.skipped}**\n`;
  if (s.kind === 'redis') return `${head}\n${redisSection(s)}\n`;
  if (s.kind === 'cluster') return `${head}\n${clusterSection(s, results.scenarios.G)}\n`;
  if (s.kind === 'scale') return `${head}\n${scaleSection(s)}\n`;
  const columns = {
    fanout: FANOUT_COLUMNS,
    idle: IDLE_COLUMNS,
    slow: SLOW_COLUMNS,
    publish: PUBLISH_COLUMNS,
    storm: STORM_COLUMNS,
  }[s.kind];
  const rows = [...serverRows(s, columns), ...ratioRows(s, columns)];
  const notes = (s.notes ?? []).map((n) => `- ${n}`).join('\n');
  return `${head}\n${table(['server', ...columns.map(([h]) => h)], rows)}\n${notes ? `\n${notes}\n` : ''}`;
}

function describeConfig(s) {
  const c = s.config;
  const reps = `median of ${c.reps} run${c.reps === 1 ? '' : 's'}`;
  switch (s.kind) {
    case 'fanout':
      return `${c.clients} clients, ${c.rate} events/s in ticks of ${c.burst} event${c.burst === 1 ? '' : 's'} (every ${((1000 * c.burst) / c.rate).toFixed(0)} ms), ${c.payloadBytes ?? 100}-byte payloads, ${c.windowMs / 1000} s windows, ${reps}.`;
    case 'idle':
      return `${c.clients} idle connections; RSS after a full GC, before and after opening them; ${reps}.`;
    case 'slow':
      return `${c.fast} reading clients and ${c.slow} that never read; ${c.rate} events/s of ${c.payloadBytes} bytes for ${c.windowMs / 1000} s; ${reps}.`;
    case 'publish':
      return `${c.subscribers} subscribers. HTTP: ${c.httpConnections} keep-alive connections POSTing for ${c.httpMs / 1000} s.${c.batch ? ` Ripple's batch route: ${c.batchConnections} connections POSTing batches of ${c.batch} events for ${c.batchMs / 1000} s. ` : ''}In process: batches of ${c.inflight} publishes for ${c.tightMs / 1000} s; ${reps}.`;
    case 'redis':
      return `One Ripple on the memory transport with ${c.clients} clients at ${c.rate} events/s (the reference); then two Ripple instances (RIPPLE_TRANSPORT=redis, ${c.prefixVar ?? 'prefix'} unique to the run), both on the server CPU, the same ${c.clients} clients split between them, ${c.rate} events/s published in process on instance a (every event reaches both through Redis); then ${2 * c.tputSubscribers} subscribers, all on instance b, moved to the load CPU, and publishes kept ${c.inflight} deep for ${c.tputMs / 1000} s on instance a, alone on the server CPU (the reference's shape: its publisher on the server CPU, its subscriber on the load CPU). Reference: ioredis PUBLISH → SUBSCRIBE in the same run; ${reps}.`;
    case 'storm':
      return `The server holds ${c.seed} events of history (${c.payloadBytes ?? 100}-byte payloads; the raw baselines keep the last ${c.history}, as Ripple does by default). ${c.clients} clients connect at once (at most ${c.maxConnecting} opening at a time, what Node's default listen backlog of 511 holds, so that the kernel drops none), each with a Last-Event-ID ${c.backs.join(', ')} events behind the newest, in turn (Ripple's cursor, the raw servers' sequence number), and must get exactly the events after it, in order; then ${c.live} live events, which every client must get. Timed from the first connect to the last client caught up, and each client from the storm's start; a warm-up storm of ${c.warmupClients} clients first; ${reps}. Connections / server CPU-s: clients caught up ÷ the server's CPU time over the storm. Listen queue overflows: connections the kernel dropped (the client retries a second later), machine-wide, so 0 unless something else on the machine overflowed a queue.`;
    case 'scale':
      return `One server, ${c.clients ? `${c.clients} connections` : `as many connections as its open-file limit allows, less ${c.headroom} for its own files, at most ${c.maxClients}`}, all on the bench topic, opened at most ${c.maxConnecting} at a time (under the listen backlog, as in S); then ${c.rate} event/s to every connection (N deliveries/s) for ${c.windowMs / 1000} s after ${c.warmupMs / 1000} s of warm-up; one run per server. RSS and heap at start and once connected after a full GC, RSS steady at the end of the window; per connection: (steady − start) ÷ N. Kernel memory per socket: slab (/proc/meminfo) after connecting less before, ÷ 2N (both ends of every connection are on this machine; machine-wide, so other processes move it). Server CPU: per second over the window.`;
    case 'cluster':
      return `A Redis Cluster of the run's own: ${c.masters ?? '?'} redis-server masters in cluster mode on loopback ports, no replicas, not pinned (as G's Redis). Two Ripple instances on it (RIPPLE_TRANSPORT=redis-cluster), as in G: ${c.clients} clients split between them, ${c.rate} events/s published in process on instance a; then ${2 * c.tputSubscribers} subscribers, all on instance b, moved to the load CPU, and publishes kept ${c.inflight} deep for ${c.tputMs / 1000} s on instance a, alone on the server CPU (as in G), on one topic, then round-robin over ${c.spreadTopics ?? '?'} topics whose slots lie ${c.topicsPerMaster} on each master, with ${2 * c.tputSubscribers} subscribers of each topic on b (every event reaches as many connections as on one topic). Reference: ioredis's Cluster client, SPUBLISH → SSUBSCRIBE, the same channels' slots, in the same run; ${reps}. The single-Redis rows are G's, from the same run.`;
    default:
      return '';
  }
}

function redisSection(s) {
  const m = s.servers['ripple-memory']?.median ?? {};
  const r = s.servers['ripple-redis']?.median ?? {};
  const t = s.servers['ripple-redis-throughput']?.median ?? {};
  const i = s.servers.ioredis?.median ?? {};
  const rows = [
    [
      'Ripple ×1, memory transport',
      ms(m.p50Ms),
      ms(m.p99Ms),
      '',
      num(m.deliveriesPerCpuS),
      '',
      '',
      `${int(m.missed)} / ${int(m.outOfOrder)}`,
    ],
    [
      'Ripple ×2 via Redis',
      ms(r.p50Ms),
      ms(r.p99Ms),
      `${ms(r.p50LocalMs)} / ${ms(r.p50RemoteMs)}`,
      num(r.deliveriesPerCpuS),
      num(t.acceptedPerS),
      num(t.deliveredRemotePerS),
      `${int(r.missed)} / ${int(r.outOfOrder)}`,
    ],
    [
      'ioredis PUBLISH → SUBSCRIBE',
      ms(i.p50Ms),
      ms(i.p99Ms),
      '',
      '',
      num(i.acceptedPerS),
      num(i.deliveredPerS),
      `${int(i.missed)} / ${int(i.outOfOrder)}`,
    ],
  ];
  return [
    table(
      [
        '',
        'p50',
        'p99',
        'p50 on a / on b',
        'deliveries / server CPU-s',
        'publishes/s accepted',
        'events/s received (per subscriber)',
        'missed / out-of-order',
      ],
      rows,
    ),
    '',
    `- The Redis hop (Ripple ×2 via Redis minus Ripple ×1 on memory, same clients and rate): p50 ${signedMs(r.p50Ms - m.p50Ms)}, p99 ${signedMs(r.p99Ms - m.p99Ms)}; ioredis alone: p50 ${ms(i.p50Ms)}, p99 ${ms(i.p99Ms)}.`,
    `- Cost per delivery via Redis (both instances' CPU) against memory: ${x(m.deliveriesPerCpuS / r.deliveriesPerCpuS)}.`,
    `- Ripple through Redis ÷ ioredis, events/s: **${x(t.acceptedPerS / i.acceptedPerS)}** accepted, ${x(t.deliveredRemotePerS / i.deliveredPerS)} received (target ≥ 0.5×).`,
  ].join('\n');
}

/**
 * H beside G: the hop and the cost per delivery on a cluster against one Redis and memory, and
 * publish throughput on one topic and spread over the shards, each against raw ioredis.
 */
function clusterSection(s, g) {
  const med = (scenario, name) => scenario?.servers?.[name]?.median ?? {};
  const m = med(g, 'ripple-memory');
  const r = med(g, 'ripple-redis');
  const rt = med(g, 'ripple-redis-throughput');
  const ri = med(g, 'ioredis');
  const c = med(s, 'ripple-cluster');
  const ct = med(s, 'ripple-cluster-throughput');
  const cs = med(s, 'ripple-cluster-throughput-spread');
  const ci = med(s, 'ioredis-cluster');
  const cis = med(s, 'ioredis-cluster-spread');
  const hop = (v) => `${signedMs(v.p50Ms - m.p50Ms)} / ${signedMs(v.p99Ms - m.p99Ms)}`;
  const topics = `${s.config.spreadTopics ?? '?'} topics on ${s.config.masters ?? '?'} masters`;
  const redisCpu = (v) =>
    v.redisCpuS == null ? '' : `${v.redisCpuS.toFixed(2)} s (${pct(v.redisBusiestShare)})`;
  const latencyRow = (name, v, twoInstances) => [
    name,
    ms(v.p50Ms),
    ms(v.p99Ms),
    twoInstances ? `${ms(v.p50LocalMs)} / ${ms(v.p50RemoteMs)}` : '',
    twoInstances ? hop(v) : '',
    v.deliveriesPerCpuS === undefined ? '' : num(v.deliveriesPerCpuS),
    `${int(v.missed)} / ${int(v.outOfOrder)}`,
  ];
  const latency = table(
    [
      '',
      'p50',
      'p99',
      'p50 on a / on b',
      'hop over memory, p50 / p99',
      'deliveries / server CPU-s',
      'missed / out-of-order',
    ],
    [
      latencyRow('G: Ripple ×1, memory transport', m, false),
      latencyRow('G: Ripple ×2 via one Redis', r, true),
      latencyRow('**H: Ripple ×2 via Redis Cluster**', c, true),
      latencyRow('G: ioredis PUBLISH → SUBSCRIBE', ri, false),
      latencyRow('H: ioredis Cluster SPUBLISH → SSUBSCRIBE', ci, false),
    ],
  );
  const tputRow = (name, what, v, raw) => [
    name,
    what,
    num(v.acceptedPerS),
    num(v.deliveredRemotePerS ?? v.deliveredPerS),
    num(v.publishesPerCpuS),
    redisCpu(v),
    raw ? x(v.acceptedPerS / raw.acceptedPerS) : '',
  ];
  const throughput = table(
    [
      '',
      'topics',
      'publishes/s accepted',
      'events/s received (per subscriber)',
      'publishes / Ripple CPU-s',
      "cluster CPU-s (busiest node's share)",
      'Ripple ÷ ioredis, accepted',
    ],
    [
      tputRow('G: Ripple via one Redis', '1', rt, ri),
      tputRow('G: ioredis PUBLISH', '1', ri),
      tputRow('**H: Ripple via Redis Cluster**', '1', ct, ci),
      tputRow('H: ioredis Cluster SPUBLISH', '1', ci),
      tputRow('**H: Ripple via Redis Cluster**', topics, cs, cis),
      tputRow('H: ioredis Cluster SPUBLISH', topics, cis),
    ],
  );
  return [
    latency,
    '',
    throughput,
    '',
    `- The hop through the cluster (Ripple ×2 via the cluster minus Ripple ×1 on memory): p50 ${signedMs(c.p50Ms - m.p50Ms)}, p99 ${signedMs(c.p99Ms - m.p99Ms)}; through one Redis: p50 ${signedMs(r.p50Ms - m.p50Ms)}, p99 ${signedMs(r.p99Ms - m.p99Ms)}.`,
    `- Server CPU per delivery, cluster ÷ one Redis: ${x(r.deliveriesPerCpuS / c.deliveriesPerCpuS)}.`,
    `- Ripple through the cluster ÷ ioredis SPUBLISH, publishes/s accepted: **${x(ct.acceptedPerS / ci.acceptedPerS)}** on one topic, **${x(cs.acceptedPerS / cis.acceptedPerS)}** on ${topics}; Ripple on the cluster ÷ Ripple on one Redis, one topic: ${x(ct.acceptedPerS / rt.acceptedPerS)}.`,
    `- Spread over the shards ÷ one topic, publishes/s: Ripple ${x(cs.acceptedPerS / ct.acceptedPerS)}, ioredis ${x(cis.acceptedPerS / ci.acceptedPerS)}; the busiest node did ${pct(ct.redisBusiestShare)} of the cluster's work on one topic, ${pct(cs.redisBusiestShare)} spread. Every process here shares the machine's cores, so this shows the load spreading, not the ceiling a cluster on its own machines would reach.`,
    ...(g && !g.skipped
      ? []
      : ['- G did not run (or was skipped): no single-Redis rows to compare with.']),
  ].join('\n');
}

/** Targets of issue 4, as Ripple's ratios in this run. */
function targets(results) {
  const sc = results.scenarios;
  const rows = [];
  const ratio = (id, base, metric) => sc[id]?.ratios?.[`ripple/${base}`]?.[metric];
  const add = (what, value, ok) =>
    rows.push([
      what,
      value == null || !Number.isFinite(value) ? '–' : x(value),
      value == null || !Number.isFinite(value) ? 'not measured' : ok(value) ? 'met' : '**not met**',
    ]);
  for (const id of ['A', 'B']) {
    add(
      `${id}: deliveries per CPU-s ≥ 1.0× raw`,
      ratio(id, 'raw', 'deliveriesPerCpuS'),
      (v) => v >= 1,
    );
    add(`${id}: … aiming at corked`, ratio(id, 'corked', 'deliveriesPerCpuS'), (v) => v >= 1);
    add(`${id}: ≥ 2.5× Nest @Sse()`, ratio(id, 'nest', 'deliveriesPerCpuS'), (v) => v >= 2.5);
    add(`${id}: p99 ≤ 1.5× raw`, ratio(id, 'raw', 'p99Ms'), (v) => v <= 1.5);
  }
  add(
    'C (burst): deliveries per CPU-s ≥ 1.0× raw',
    ratio('C', 'raw', 'deliveriesPerCpuS'),
    (v) => v >= 1,
  );
  add('C: … aiming at corked', ratio('C', 'corked', 'deliveriesPerCpuS'), (v) => v >= 1);
  add('C: p99 ≤ 1.5× raw', ratio('C', 'raw', 'p99Ms'), (v) => v <= 1.5);
  add(
    'D: RSS per idle connection ≤ 1.25× raw',
    ratio('D', 'raw', 'rssPerConnKB'),
    (v) => v <= 1.25,
  );
  const g = sc.G;
  const gr =
    g?.servers?.['ripple-redis-throughput']?.median?.acceptedPerS /
    g?.servers?.ioredis?.median?.acceptedPerS;
  add('G: through Redis ≥ 0.5× raw ioredis PUBLISH', g?.skipped ? null : gr, (v) => v >= 0.5);
  const h = sc.H?.servers;
  const hr =
    h?.['ripple-cluster-throughput']?.median?.acceptedPerS /
    h?.['ioredis-cluster']?.median?.acceptedPerS;
  add(
    "H: through Redis Cluster ≥ 0.5× raw ioredis SPUBLISH (G's bar)",
    sc.H?.skipped ? null : hr,
    (v) => v >= 0.5,
  );
  add(
    'S: connections accepted per server CPU-s ≥ 0.5× raw (issue 15)',
    ratio('S', 'raw', 'acceptedPerCpuS'),
    (v) => v >= 0.5,
  );
  return table(['target (issue 4)', 'Ripple, this run', ''], rows);
}

function summary(results) {
  const sc = results.scenarios;
  const names = Object.keys(SERVERS).filter((n) =>
    Object.values(sc).some((s) => s.servers?.[n]?.reps?.length),
  );
  const cell = (id, name, f) => {
    const m = sc[id]?.servers?.[name]?.median;
    return m && sc[id].servers[name].reps.length ? f(m) : '–';
  };
  const columns = [
    ['A', (m) => `${num(m.deliveriesPerCpuS)}/cpu-s, p99 ${ms(m.p99Ms)}`],
    ['B', (m) => `${num(m.deliveriesPerCpuS)}/cpu-s, p99 ${ms(m.p99Ms)}`],
    ['C', (m) => `${num(m.deliveriesPerCpuS)}/cpu-s, p99 ${ms(m.p99Ms)}`],
    ['D', (m) => kb(m.rssPerConnKB)],
    ['E', (m) => `+${mb(m.rssGrowthMB)}`],
    ['F', (m) => `${num(m.httpPerS)} / ${num(m.tightPerS)}`],
    ['S', (m) => `${num(m.acceptedPerCpuS)} conn/cpu-s, caught up p99 ${ms(m.caughtUpP99Ms)}`],
  ].filter(([id]) => sc[id] && !sc[id].skipped);
  if (columns.length === 0) return '';
  const heading = (id) =>
    id === 'F' ? 'F: publishes/s, HTTP / in-process' : `${id}: ${sc[id].short}`;
  const rows = names.map((n) => [n, ...columns.map(([id, f]) => cell(id, n, f))]);
  return table(['server', ...columns.map(([id]) => heading(id))], rows);
}

export function markdown(results) {
  const m = results.meta;
  const parts = [
    `# Ripple benchmark — ${m.mode} run, ${m.startedAt}`,
    '',
    `Node ${m.node} · ${m.cpus} CPUs (${m.cpuModel}) · server pinned to CPU ${m.serverCpu ?? '–'}, load generators to CPU ${m.loadCpu ?? '–'}${m.pinned ? '' : ' (taskset unavailable: not pinned)'} · git ${m.git} · ${m.durationS?.toFixed(0)} s`,
    `Command: \`${m.command}\``,
    '',
    'Deliveries are events received by clients; per server CPU-second is deliveries ÷ (utime + stime of the server process over the window, from /proc). ' +
      'Latency is publish-to-receive (the payload carries performance.timeOrigin + performance.now() at publish). ' +
      'Ratios are Ripple ÷ the baseline (*ripple/raw* etc.); Fastify ÷ Express (*ripple-fastify/ripple*); over HTTP/2, each server ÷ its raw baseline and ÷ itself over HTTP/1.1 (*ripple-h2/raw-h2*, *ripple-h2/ripple-fastify*, *raw-h2/raw*). "late" events were still on their way when the drain timeout ended the window (the server had fallen behind); "missed" and "out-of-order" must be 0.',
    '',
    '## Summary',
    '',
    summary(results),
    '',
    targets(results),
    '',
    '## Scenarios',
    '',
  ];
  for (const s of Object.values(results.scenarios)) parts.push(scenarioSection(s, results), '');
  if (results.profile) {
    parts.push('## CPU profile', '', results.profile, '');
  }
  parts.push(
    results.failures.length
      ? `## Problems (the run exits non-zero)\n\n${results.failures.map((f) => `- ${f}`).join('\n')}\n`
      : '## Problems\n\nNone: every process started, and no event was lost or reordered.\n',
  );
  if (results.notes.length)
    parts.push(`## Notes\n\n${results.notes.map((n) => `- ${n}`).join('\n')}\n`);
  return parts.join('\n');
}

// `node bench/lib/report.mjs bench/results/<run>.json` renders a run's JSON again (ratios
// recomputed), into the .md beside it, e.g. after a change to this file.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const path = process.argv[2];
  const results = JSON.parse(readFileSync(path, 'utf8'));
  for (const s of Object.values(results.scenarios)) addRatios(s);
  const md = markdown(results);
  writeFileSync(path.replace(/\.json$/, '.md'), md);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  console.log(md);
}

const SCALE_COLUMNS = [
  ['connections', (m) => int(m.connections)],
  ['open files (soft / hard)', (m) => `${int(m.fdSoftLimit)} / ${int(m.fdHardLimit)}`],
  [
    'time to connect all (server CPU each)',
    (m) =>
      m.connectS == null
        ? '–'
        : `${m.connectS.toFixed(1)} s (${m.connectCpuMsPerConn.toFixed(2)} ms)`,
  ],
  [
    'RSS start → connected → steady',
    (m) => `${mb(m.rssStartMB)} → ${mb(m.rssConnectedMB)} → ${mb(m.rssSteadyMB)}`,
  ],
  ['RSS / conn', (m) => kb(m.rssPerConnKB), 'rssPerConnKB'],
  ['heap start → connected', (m) => `${mb(m.heapStartMB)} → ${mb(m.heapConnectedMB)}`],
  ['heap / conn', (m) => kb(m.heapPerConnKB), 'heapPerConnKB'],
  [
    'server CPU (max of a second)',
    (m) => `${pct(m.serverCpuUtil)} (${pct(m.cpuPerSecondMax)})`,
    'serverCpuUtil',
  ],
  [
    'CPU / delivery',
    (m) => (m.cpuUsPerDelivery == null ? '–' : `${m.cpuUsPerDelivery.toFixed(2)} µs`),
    'cpuUsPerDelivery',
  ],
  ['p50', (m) => ms(m.p50Ms), 'p50Ms'],
  ['p99', (m) => ms(m.p99Ms), 'p99Ms'],
  ['lost / missed / late', (m) => `${int(m.lost)} / ${int(m.missed)} / ${int(m.late)}`],
  ['kernel slab / socket', (m) => kb(m.slabPerSocketKB)],
  ['loadgen CPU', (m) => pct(m.loadgenCpuUtil)],
];

const gb = (v) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)} GB`);
const PROJECTION_COLUMNS = [
  ['RSS', (m) => gb(m.projRssGB)],
  ['of which heap', (m) => gb(m.projHeapGB)],
  ['kernel slab (sockets)', (m) => gb(m.projSlabGB)],
  ['CPU cores at 1 ev/s', (m) => (m.projCores == null ? '–' : m.projCores.toFixed(2))],
  ['open files', (m) => int(m.projFds)],
  ['source addresses (one load host)', (m) => int(m.projSourceAddresses)],
  [
    'time to connect all (server CPU)',
    (m) =>
      m.projConnectS == null
        ? '–'
        : `${m.projConnectS.toFixed(0)} s (${m.projConnectCpuS.toFixed(0)} CPU-s)`,
  ],
];

/** L: the measured table, the per-second CPU, then the projection to `projectTo` connections. */
function scaleSection(s) {
  const rows = [...serverRows(s, SCALE_COLUMNS), ...ratioRows(s, SCALE_COLUMNS)];
  const live = Object.entries(s.servers).filter(([, v]) => v.reps.length > 0);
  const perSecond = live.map(
    ([name, v]) => `- ${name}: server CPU per second (%): ${v.median.cpuPerSecond}`,
  );
  const target = live[0]?.[1].median.projectTo;
  const projection = table(
    ['server', ...PROJECTION_COLUMNS.map(([h]) => h)],
    live.map(([name, v]) => [name, ...PROJECTION_COLUMNS.map(([, f]) => f(v.median))]),
  );
  return [
    table(['server', ...SCALE_COLUMNS.map(([h]) => h)], rows),
    perSecond.join('\n'),
    `Projection to ${int(target)} connections at ${s.config.rate} event/s each, from the figures above: memory linear per connection from the measured start; CPU per delivery constant (as B shows from 1k to 10k clients); one open file per connection plus those open at start; connecting at the same rate and CPU per connection; ${s.config.ephemeralPorts} client ports per source address when the load comes from one host (real clients bring their own addresses; the server needs one listening port).`,
    projection,
    ...(s.notes ?? []).map((n) => `- ${n}`),
  ].join('\n\n');
}
