/**
 * The Redis Cluster of scenario H, owned by this process (a command child, see
 * ../lib/command-child.mjs): `node cluster.mjs --masters=3` starts that many redis-server processes
 * in cluster mode on free loopback ports (and bus ports), in a temporary directory, joins them with
 * `redis-cli --cluster create` (no replicas: on a 2-core machine a replica's copying would be
 * measured as the master's cost), waits until every node says the cluster is ok, and only then
 * says it is ready, with {dir, seeds, startS, nodes: [{port, pid, slots: [[from, to], ...]}]}; it
 * exits non-zero if it cannot. `shutdown` kills the nodes, removes the directory and exits.
 * The nodes die with this process however it ends: killed on exit (the orchestrator's IPC channel
 * closing makes it exit), and in its process group, which the orchestrator's killAll() SIGKILLs.
 * The tests start their clusters with test/utils/redis-cluster.ts: the same steps in TypeScript,
 * with replicas, for the failover tests; the benchmark stays plain .mjs.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { serveCommands } from '../lib/command-child.mjs';

const run = promisify(execFile);
/**
 * This process inherits the orchestrator's core, the load generators'; the nodes run on any core,
 * as G's Redis does (taskset execs redis-server: the pid stays the node's).
 */
const everyCpu = `0-${cpus().length - 1}`;
const anyCpu = spawnSync('taskset', ['-c', everyCpu, 'true']).status === 0 ? everyCpu : null;
const nodes = [];
let dir = null;

function stopNodes() {
  for (const node of nodes) node.process.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', stopNodes);
// Also while the cluster forms, before serveCommands() listens for it.
process.on('disconnect', () => process.exit(0));

/** Free loopback ports, all held until all are found, so that none is handed out twice. */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Polls `check` every 50 ms until it is true, or throws `what` after `timeoutMs`. */
async function until(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startNode(port, busPort, nodeTimeoutMs) {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir);
  const config = {
    port,
    'cluster-port': busPort,
    bind: '127.0.0.1',
    'cluster-enabled': 'yes',
    'cluster-config-file': 'nodes.conf',
    'cluster-node-timeout': nodeTimeoutMs,
    dir: nodeDir,
    logfile: join(nodeDir, 'redis.log'),
    save: '',
    appendonly: 'no',
  };
  const node = { port, stopping: false };
  const args = Object.entries(config).flatMap(([name, value]) => [`--${name}`, String(value)]);
  node.process = anyCpu
    ? spawn('taskset', ['-c', anyCpu, 'redis-server', ...args], { stdio: 'ignore' })
    : spawn('redis-server', args, { stdio: 'ignore' });
  node.process.on('exit', (code, signal) => {
    if (!node.stopping) console.error(`redis-server on ${port} exited (${code ?? signal})`);
  });
  nodes.push(node);
  return node;
}

/** The cluster's slot ranges by master port, once every node agrees that it is ok. */
async function settledSlots(ports) {
  const clients = ports.map(
    (port) => new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null }),
  );
  for (const client of clients) client.on('error', () => undefined);
  try {
    let slots = null;
    await until(
      async () => {
        for (const client of clients) {
          if (client.status !== 'ready') await client.connect();
          if (!(await client.cluster('INFO')).includes('cluster_state:ok')) return false;
        }
        const ranges = await clients[0].cluster('SLOTS');
        if (ranges.length < ports.length) return false;
        slots = ranges.map(([from, to, [, port]]) => ({ from, to, port }));
        return true;
      },
      'the cluster to settle',
      20_000,
    );
    return slots;
  } finally {
    for (const client of clients) client.disconnect();
  }
}

async function startCluster(masters, nodeTimeoutMs = 5000) {
  const t0 = performance.now();
  dir = mkdtempSync(join(tmpdir(), 'ripple-bench-cluster-'));
  const ports = await freePorts(masters * 2);
  const started = ports
    .slice(0, masters)
    .map((port, i) => startNode(port, ports[masters + i], nodeTimeoutMs));
  for (const node of started) {
    const probe = new Redis(node.port, '127.0.0.1', {
      lazyConnect: true,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      await until(
        async () => {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG';
        },
        `redis-server on ${node.port} to answer`,
        10_000,
      );
    } finally {
      probe.disconnect();
    }
  }
  const addresses = started.map((node) => `127.0.0.1:${node.port}`);
  await run(
    'redis-cli',
    ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
    { timeout: 30_000 },
  );
  const slots = await settledSlots(started.map((node) => node.port));
  return {
    dir,
    seeds: started.map((node) => `redis://127.0.0.1:${node.port}`).join(','),
    startS: (performance.now() - t0) / 1000,
    nodes: started.map((node) => ({
      port: node.port,
      pid: node.process.pid,
      slots: slots.filter((s) => s.port === node.port).map((s) => [s.from, s.to]),
    })),
  };
}

const masters = Number(process.argv.find((a) => a.startsWith('--masters='))?.slice(10) ?? 3);
let cluster;
try {
  cluster = await startCluster(masters);
} catch (err) {
  console.error(`the Redis Cluster did not start: ${err.stack ?? err}`);
  process.exit(1);
}
serveCommands(
  {
    shutdown: async () => {
      for (const node of nodes) node.stopping = true;
      stopNodes();
      setImmediate(() => process.exit(0));
      return {};
    },
  },
  cluster,
);
