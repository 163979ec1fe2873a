import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './redis-cluster.js';
import { describeWhenInstalled } from './required-tool.js';
import { until } from './until.js';

/** Debian's nginx (`apt-get install nginx-light`), or another one. */
export const NGINX_PATH = process.env.NGINX_PATH || '/usr/sbin/nginx';

/** The configuration users run (docker-compose.yml mounts it). */
export const RIPPLE_NGINX_CONF = fileURLToPath(
  new URL('../../deploy/nginx/ripple.conf', import.meta.url),
);

/** `describe`, when nginx is installed (a loud skip without it; a failure under `CI=true`). */
export function describeWithNginx(name: string, fn: () => void): void {
  describeWhenInstalled(
    {
      path: NGINX_PATH,
      why:
        `nginx is not installed at ${NGINX_PATH}: install it (apt-get install -y nginx-light) ` +
        'or point NGINX_PATH at an nginx binary.',
      suites: 'the proxy tests',
      required: 'runs behind nginx',
    },
    name,
    fn,
  );
}

export interface Nginx {
  url: string;
  /** nginx's access log so far (the repo's `ripple` format: `upstream=` names the instance). */
  accessLog(): Promise<string>;
  /** Stops nginx (by its process id) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * deploy/nginx/ripple.conf with its two upstream servers, its listen address and its access log
 * moved to this machine; each must be found exactly once, so that a change to the file that the
 * test would no longer follow fails here rather than passing on a configuration of its own.
 */
export function localSite(
  conf: string,
  upstreams: [number, number],
  port: number,
  accessLog: string,
): string {
  const edits: [RegExp, string][] = [
    [/server ripple-a:3000\b/g, `server 127.0.0.1:${upstreams[0]}`],
    [/server ripple-b:3000\b/g, `server 127.0.0.1:${upstreams[1]}`],
    [/listen 80;/g, `listen 127.0.0.1:${port};`],
    [/access_log \/var\/log\/nginx\/access\.log\b/g, `access_log ${accessLog}`],
  ];
  return edits.reduce((text, [pattern, replacement]) => {
    const found = text.match(pattern)?.length ?? 0;
    if (found !== 1) {
      throw new Error(`${RIPPLE_NGINX_CONF}: expected ${pattern} once, found it ${found} times`);
    }
    return text.replace(pattern, replacement);
  }, conf);
}

/**
 * nginx in front of two local instances, from the repo's configuration, in a directory of its own
 * (temp files, logs, pid), in the foreground, as the current user. Resolves once it answers.
 */
export async function startNginx(upstreams: [number, number]): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'ripple-nginx-'));
  const [port] = await freePorts(1);
  const site = localSite(
    readFileSync(RIPPLE_NGINX_CONF, 'utf8'),
    upstreams,
    port,
    join(dir, 'access.log'),
  );
  await writeFile(join(dir, 'ripple.conf'), site);
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      // As root, nginx would hand its workers to `nobody`, who cannot write this directory.
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 512; }',
      'http {',
      // Compression on for every type, as a site-wide setting may have it: ripple.conf must keep
      // it off for streams.
      '  gzip on; gzip_types *; gzip_min_length 0;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (temp) => `  ${temp}_temp_path ${join(dir, temp)};`,
      ),
      `  include ${join(dir, 'ripple.conf')};`,
      '}',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    NGINX_PATH,
    [
      '-p',
      `${dir}/`,
      '-e',
      join(dir, 'error.log'),
      '-c',
      join(dir, 'nginx.conf'),
      '-g',
      `daemon off; pid ${join(dir, 'nginx.pid')};`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // Fast shutdown: a graceful one (SIGQUIT) would wait for the open streams.
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(async () => {
      if (child.exitCode !== null) {
        const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
        throw new Error(`nginx exited (${child.exitCode}): ${output}${log}`);
      }
      return fetch(`${url}/health/live`).then(
        () => true,
        () => false,
      );
    }, 'nginx to answer');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    accessLog: () => readFile(join(dir, 'access.log'), 'utf8'),
    stop,
  };
}
