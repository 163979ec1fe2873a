import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { until } from './until.js';

const run = promisify(execFile);

/** A cluster started elsewhere (e.g. by CI) that the non-destructive suites may use instead. */
const EXTERNAL_URL = process.env.REDIS_CLUSTER_URL;

export interface ClusterNodeProcess {
  port: number;
  /** The redis-server process; undefined for an external cluster. */
  process?: ChildProcess;
}

/** A Redis Cluster for tests: three masters with a replica each, on free loopback ports. */
export interface TestCluster {
  /** The seed URLs, comma-separated: what RIPPLE_TRANSPORT=redis-cluster takes as REDIS_URL. */
  url: string;
  nodes: ClusterNodeProcess[];
  /** Kills a node at once (SIGKILL), as a crash would. */
  kill(port: number): Promise<void>;
  /** Stops every node it started and removes its files; nothing for an external cluster. */
  stop(): Promise<void>;
  /** It was stopped: its keys are gone with it. */
  readonly stopped: boolean;
}

/** `redis-server` and `redis-cli` of Redis 7 or later (sharded pub/sub), or why not. */
function missingTools(): string | undefined {
  for (const tool of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      return `${tool} is not installed`;
    }
    const major = Number(/v=(\d+)|redis-cli (\d+)/.exec(probe.stdout)?.slice(1).find(Boolean));
    if (!(major >= 7)) {
      return `${tool} is older than Redis 7 (no sharded pub/sub): ${probe.stdout.trim()}`;
    }
  }
  return undefined;
}

/**
 * `describe` when a Redis Cluster can be had (REDIS_CLUSTER_URL, or redis-server 7 to start one);
 * otherwise a loud skip, except under CI=true, where that fails the run.
 */
export function describeWithRedisCluster(options: { own?: boolean } = {}): jest.Describe {
  const missing = EXTERNAL_URL && !options.own ? undefined : missingTools();
  if (!missing) {
    return describe;
  }
  const message = `${missing}: the Redis Cluster suites cannot run`;
  if (process.env.CI === 'true') {
    throw new Error(`${message} (CI=true, so this fails)`);
  }
  console.warn(
    `\n*** SKIPPED: ${message}. Install Redis 7 (apt-get install redis-server), or set REDIS_CLUSTER_URL ***\n`,
  );
  return describe.skip;
}

/**
 * A cluster for the enclosing describe: started before its tests and stopped after them. The
 * suites that only use a cluster take REDIS_CLUSTER_URL when it is set; those that break one
 * (`own: true`) always start their own.
 */
export function useRedisCluster(options: { own?: boolean; nodeTimeoutMs?: number } = {}): {
  readonly current: TestCluster;
} {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster =
      EXTERNAL_URL && !options.own
        ? externalCluster(EXTERNAL_URL)
        : await startRedisCluster(options.nodeTimeoutMs);
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    get current() {
      if (!cluster) {
        throw new Error('the Redis Cluster is not started (use it inside the describe)');
      }
      return cluster;
    },
  };
}

function externalCluster(url: string): TestCluster {
  return {
    url,
    nodes: url.split(',').map((seed) => ({ port: Number(new URL(seed.trim()).port) })),
    kill: () => Promise.reject(new Error('an external cluster is not the tests to kill')),
    stop: () => Promise.resolve(),
    stopped: false,
  };
}

/** Free loopback ports, all held until all are found, so that none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(
      servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))),
    );
  }
}

/**
 * Starts six redis-server processes in cluster mode in a temporary directory and joins them with
 * `redis-cli --cluster create --cluster-replicas 1`: three masters, a replica each. A short node
 * timeout makes a replica take over a dead master within a couple of seconds.
 */
export async function startRedisCluster(nodeTimeoutMs = 1000): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ripple-cluster-'));
  const ports = await freePorts(12);
  const nodes: ClusterNodeProcess[] = [];
  let stopped = false;
  const killAll = () => nodes.forEach((node) => node.process?.kill('SIGKILL'));
  process.on('exit', killAll);
  const stop = async () => {
    stopped = true;
    process.off('exit', killAll);
    await Promise.all(nodes.map((node) => stopProcess(node.process)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const [port, busPort] = [ports[i], ports[i + 6]];
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      const config = {
        port: String(port),
        'cluster-port': String(busPort),
        bind: '127.0.0.1',
        'cluster-enabled': 'yes',
        'cluster-config-file': 'nodes.conf',
        'cluster-node-timeout': String(nodeTimeoutMs),
        dir: nodeDir,
        logfile: join(nodeDir, 'redis.log'),
        save: '',
        appendonly: 'no',
        // A replica syncs at once (not after 5 s), and shows in CLUSTER SLOTS once its master has
        // sent it something (the replication ping, every 10 s by default).
        'repl-diskless-sync-delay': '0',
        'repl-ping-replica-period': '1',
      };
      const child = spawn(
        'redis-server',
        Object.entries(config).flatMap(([name, value]) => [`--${name}`, value]),
        { stdio: 'ignore' },
      );
      // Never what keeps the test process alive (and killed when it exits, below).
      child.unref();
      nodes.push({ port, process: child });
    }
    await Promise.all(nodes.map((node) => untilAnswers(node.port)));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 20_000 },
    );
    await untilSettled(nodes.map((node) => node.port));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: nodes.map((node) => `redis://127.0.0.1:${node.port}`).join(','),
    nodes,
    kill: async (port) => stopProcess(nodes.find((node) => node.port === port)?.process),
    stop,
    get stopped() {
      return stopped;
    },
  };
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function untilAnswers(port: number): Promise<void> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await until(
      async () => {
        try {
          if (probe.status !== 'ready') {
            await probe.connect();
          }
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        }
      },
      `redis-server on ${port} to answer`,
      10_000,
    );
  } finally {
    probe.disconnect();
  }
}

/** Every node says the cluster is ok, with three masters, each with a replica in sync. */
async function untilSettled(ports: number[]): Promise<void> {
  const clients = ports.map((port) => new Redis(port, '127.0.0.1'));
  try {
    await until(
      async () => {
        for (const client of clients) {
          const info = (await client.cluster('INFO')) as string;
          if (!info.includes('cluster_state:ok')) {
            return false;
          }
          const shards = (await client.cluster('SLOTS')) as unknown[][];
          if (shards.length !== 3 || shards.some((shard) => shard.length < 4)) {
            return false;
          }
          const replication = await client.info('replication');
          if (
            replication.includes('role:slave') &&
            !replication.includes('master_link_status:up')
          ) {
            return false;
          }
        }
        return true;
      },
      'the cluster to settle',
      15_000,
    );
  } finally {
    clients.forEach((client) => client.disconnect());
  }
}

/** An admin client of the cluster, ready, for tests (its errors ignored: nodes may be killed). */
export async function clusterAdmin(cluster: TestCluster): Promise<Cluster> {
  const admin = new Cluster(
    cluster.url.split(',').map((seed) => {
      const url = new URL(seed);
      return { host: url.hostname, port: Number(url.port) };
    }),
  );
  admin.on('error', () => undefined);
  admin.on('node error', () => undefined);
  try {
    await until(() => admin.status === 'ready', 'the admin client', 10_000);
  } catch (err) {
    admin.disconnect();
    throw err;
  }
  return admin;
}

/** Deletes every key under `prefix`, on every master (of a cluster that is still running). */
export async function dropClusterPrefix(cluster: TestCluster, prefix: string): Promise<void> {
  if (cluster.stopped) {
    return;
  }
  const admin = await clusterAdmin(cluster);
  try {
    for (const master of admin.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await master.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        // One key at a time: on a cluster, a DEL of several keys must keep to one slot.
        await Promise.all(keys.map((key) => master.del(key)));
      } while (cursor !== '0');
    }
  } finally {
    admin.disconnect();
  }
}

/** How many connections, on every node, are subscribed to a shard channel. */
export async function shardSubscribers(admin: Cluster, channel: string): Promise<number> {
  let total = 0;
  for (const node of admin.nodes('all')) {
    const [, count] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
    total += Number(count);
  }
  return total;
}

/** A node as CLUSTER NODES describes it. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  master: boolean;
  /** The master a replica follows. */
  masterId?: string;
  /** Marked as failing (`fail` or `fail?`). */
  failing: boolean;
  /** The slot ranges a master serves. */
  slots: Array<[number, number]>;
}

/** The cluster's nodes, as a node that still answers sees them. */
export async function clusterNodes(cluster: TestCluster): Promise<ClusterNodeInfo[]> {
  const alive = cluster.nodes.find(
    (node) => !node.process || (node.process.exitCode === null && node.process.signalCode === null),
  );
  const client = new Redis(alive?.port ?? 0, '127.0.0.1', { retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    const text = (await client.cluster('NODES')) as string;
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)?.[1]),
          master: flags.includes('master'),
          masterId: masterId === '-' ? undefined : masterId,
          failing: /(^|,)fail\??(,|$)/.test(flags),
          slots: slots
            .filter((range) => /^\d/.test(range))
            .map((range) => {
              const [from, to = from] = range.split('-').map(Number);
              return [from, to] as [number, number];
            }),
        };
      });
  } finally {
    client.disconnect();
  }
}

/** The master serving `slot`, and the replicas following it. */
export async function shardOf(
  cluster: TestCluster,
  slot: number,
): Promise<{ master: ClusterNodeInfo; replicas: ClusterNodeInfo[] }> {
  const nodes = await clusterNodes(cluster);
  const master = nodes.find(
    (node) => node.master && node.slots.some(([from, to]) => slot >= from && slot <= to),
  );
  if (!master) {
    throw new Error(`no master serves slot ${slot}`);
  }
  return { master, replicas: nodes.filter((node) => node.masterId === master.id) };
}

/**
 * Moves a slot to another master as `redis-cli --cluster reshard` does: IMPORTING on the target,
 * MIGRATING on the source, MIGRATE of its keys, then SETSLOT NODE on both. `holdMs` keeps the slot
 * half-moved (after its keys moved) for that long, as a slot with many keys would be.
 */
export async function moveSlot(
  cluster: TestCluster,
  slot: number,
  to: ClusterNodeInfo,
  holdMs = 0,
): Promise<void> {
  const { master: from } = await shardOf(cluster, slot);
  const source = new Redis(from.port, '127.0.0.1');
  const target = new Redis(to.port, '127.0.0.1');
  try {
    await target.cluster('SETSLOT', slot, 'IMPORTING', from.id);
    await source.cluster('SETSLOT', slot, 'MIGRATING', to.id);
    for (;;) {
      const keys = (await source.cluster('GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) {
        break;
      }
      await source.migrate('127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
    }
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    await target.cluster('SETSLOT', slot, 'NODE', to.id);
    await source.cluster('SETSLOT', slot, 'NODE', to.id);
  } finally {
    source.disconnect();
    target.disconnect();
  }
}

/**
 * Has a replica take over from its master (CLUSTER FAILOVER): no write is lost in the switch.
 * Resolves once both have swapped roles, as they see themselves.
 */
export async function failOver(replica: ClusterNodeInfo, master: ClusterNodeInfo): Promise<void> {
  const clients = [replica, master].map((node) => new Redis(node.port, '127.0.0.1'));
  const roleOf = async (client: Redis) => ((await client.role()) as [string])[0];
  try {
    await clients[0].cluster('FAILOVER');
    await until(
      async () => (await roleOf(clients[0])) === 'master' && (await roleOf(clients[1])) === 'slave',
      `the replica on ${replica.port} to take over`,
      10_000,
    );
  } finally {
    clients.forEach((client) => client.disconnect());
  }
}
