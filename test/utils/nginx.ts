import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
/** The body of every server block, which both sites include as `ripple/ripple-proxy.conf`. */
const RIPPLE_NGINX_PROXY = fileURLToPath(
  new URL('../../deploy/nginx/ripple-proxy.conf', import.meta.url),
);
/** The TLS + HTTP/2 server (docker-compose.tls.yml adds it). */
export const RIPPLE_NGINX_TLS_CONF = fileURLToPath(
  new URL('../../deploy/nginx/ripple-tls.conf', import.meta.url),
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
  /** The TLS + HTTP/2 server's address, when started with a certificate. */
  tlsUrl: string | undefined;
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
  return edited(RIPPLE_NGINX_CONF, conf, [
    [/server ripple-a:3000\b/g, `server 127.0.0.1:${upstreams[0]}`],
    [/server ripple-b:3000\b/g, `server 127.0.0.1:${upstreams[1]}`],
    [/listen 80;/g, `listen 127.0.0.1:${port};`],
    [/access_log \/var\/log\/nginx\/access\.log\b/g, `access_log ${accessLog}`],
  ]);
}

/** A certificate and its key, as PEM files. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** deploy/nginx/ripple-tls.conf with its listen address, certificate and access log moved here. */
export function localTlsSite(conf: string, port: number, tls: TlsFiles, accessLog: string): string {
  return edited(RIPPLE_NGINX_TLS_CONF, conf, [
    [/listen 443 ssl http2;/g, `listen 127.0.0.1:${port} ssl http2;`],
    [/ssl_certificate \/etc\/nginx\/certs\/ripple\.crt;/g, `ssl_certificate ${tls.cert};`],
    [/ssl_certificate_key \/etc\/nginx\/certs\/ripple\.key;/g, `ssl_certificate_key ${tls.key};`],
    [/access_log \/var\/log\/nginx\/access\.log\b/g, `access_log ${accessLog}`],
  ]);
}

/** `conf` with each pattern, found exactly once, replaced. */
function edited(file: string, conf: string, edits: [RegExp, string][]): string {
  return edits.reduce((text, [pattern, replacement]) => {
    const found = text.match(pattern)?.length ?? 0;
    if (found !== 1) {
      throw new Error(`${file}: expected ${pattern} once, found it ${found} times`);
    }
    return text.replace(pattern, replacement);
  }, conf);
}

/**
 * nginx in front of two local instances, from the repo's configuration, in a directory of its own
 * (temp files, logs, pid), in the foreground, as the current user; with `tls`, ripple-tls.conf's
 * server too. Resolves once it answers.
 */
export async function startNginx(upstreams: [number, number], tls?: TlsFiles): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'ripple-nginx-'));
  const [port, tlsPort] = await freePorts(2);
  const accessLog = join(dir, 'access.log');
  const site = localSite(readFileSync(RIPPLE_NGINX_CONF, 'utf8'), upstreams, port, accessLog);
  await writeFile(join(dir, 'ripple.conf'), site);
  // Where the sites include it from: relative to the directory of nginx.conf, as in /etc/nginx.
  await mkdir(join(dir, 'ripple'));
  await copyFile(RIPPLE_NGINX_PROXY, join(dir, 'ripple', 'ripple-proxy.conf'));
  if (tls) {
    const tlsSite = localTlsSite(
      readFileSync(RIPPLE_NGINX_TLS_CONF, 'utf8'),
      tlsPort,
      tls,
      accessLog,
    );
    await writeFile(join(dir, 'ripple-tls.conf'), tlsSite);
  }
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
      tls ? `  include ${join(dir, 'ripple-tls.conf')};` : '',
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
    tlsUrl: tls ? `https://127.0.0.1:${tlsPort}` : undefined,
    accessLog: () => readFile(join(dir, 'access.log'), 'utf8'),
    stop,
  };
}
