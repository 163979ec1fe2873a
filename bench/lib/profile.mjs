/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, self
 * time by where the code lives (Ripple's dist/, @nestjs/*, rxjs, express, Node internals, GC...),
 * and self and inclusive time by area of a request's work (Nest's router, guards and
 * interceptors, Ripple's auth, cursor, history, stream and writer, logging, Node's HTTP and
 * sockets), which says where the cost of opening a stream lies.
 */
import { readFileSync } from 'node:fs';

function where(url) {
  if (!url) return '(native / V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/')) return 'Ripple dist/';
  if (url.startsWith('node:')) return 'node: internals';
  if (url.includes('/bench/')) return 'bench harness';
  return url;
}

const EXPRESS = [
  'express',
  'router',
  'body-parser',
  'serve-static',
  'send',
  'finalhandler',
  'parseurl',
  'qs',
  'path-to-regexp',
  'cors',
  'on-finished',
  'content-type',
  'type-is',
  'accepts',
  'proxy-addr',
  'forwarded',
  'ipaddr.js',
  'fresh',
  'etag',
  'vary',
  'debug',
  'depd',
];
const LOGGING = [
  'pino',
  'pino-http',
  'nestjs-pino',
  'pino-std-serializers',
  'sonic-boom',
  'thread-stream',
  'fast-redact',
  '@pinojs/redact',
  'quick-format-unescaped',
  'safe-stable-stringify',
  'on-exit-leak-free',
  'atomic-sleep',
];

/** The areas of a request's work in Ripple's dist/ and Node, first match wins. */
const OWN_AREAS = [
  [/\/dist\/sse\/auth\//, 'Ripple: auth (subscribe guard, token, expiry interceptor)'],
  [/\/dist\/sse\/wire\//, 'Ripple: wire (cursor, event ids, frames)'],
  [/\/dist\/sse\/history\/|\/dist\/sse\/redis\/.*history/, 'Ripple: history read'],
  [/\/dist\/sse\/(stream|fanout|transport)\//, 'Ripple: stream (join, replay, channel)'],
  [/\/dist\/sse\/writer\//, 'Ripple: writer (@RippleSse() interceptor, connection)'],
  [/\/dist\/sse\/(flow|validation|topics|metrics)\//, 'Ripple: limits, checks, counters'],
  [/\/dist\/sse\/redis\//, 'Ripple: Redis transport'],
  [/\/dist\/sse\//, 'Ripple: hub, controller'],
  [/\/dist\/ops\/logging\//, 'logging (pino, pino-http, nestjs-pino, Ripple redaction)'],
  [/\/dist\/(http|app\.setup)/, 'Ripple: app middleware (host check, slow headers)'],
  [/\/dist\//, 'Ripple: other (ops, config)'],
  [/\/bench\//, 'bench harness'],
  [/^node:_http_|^node:http$/, 'node: HTTP (parser, ServerResponse)'],
  [/^node:(net|stream|internal\/(stream_base_commons|streams|net|tcp))/, 'node: net, streams'],
  [/^node:(fs|internal\/fs)/, 'node: fs'],
];
/** The same for packages, by path within node_modules/. */
const PACKAGE_AREAS = [
  [/^@nestjs\/core\/router\//, 'Nest: router (execution context, params, handler)'],
  [/^@nestjs\/core\/guards\//, 'Nest: guards consumer'],
  [/^@nestjs\/core\/interceptors\//, 'Nest: interceptors consumer'],
  [/^@nestjs\/core\/pipes\//, 'Nest: pipes'],
  [/^@nestjs\/core\/middleware\//, 'Nest: middleware'],
  [/^@nestjs\//, 'Nest: other (core, common, platform-express)'],
];

/** The area of a frame's code, or null for native code (whose time is its caller's). */
function area(url) {
  if (!url) return null;
  const i = url.lastIndexOf('node_modules/');
  if (i < 0) {
    for (const [re, name] of OWN_AREAS) if (re.test(url)) return name;
    return where(url);
  }
  const path = url.slice(i + 13);
  for (const [re, name] of PACKAGE_AREAS) if (re.test(path)) return name;
  const pkg = /^((?:@[^/]+\/)?[^/]+)/.exec(path)[1];
  if (EXPRESS.includes(pkg)) return 'Express (router, middleware, static)';
  if (LOGGING.includes(pkg)) return 'logging (pino, pino-http, nestjs-pino, Ripple redaction)';
  return pkg;
}

function shortUrl(url) {
  if (!url) return '';
  const i = url.indexOf('node_modules/');
  if (i >= 0) return url.slice(i + 13);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  const b = url.indexOf('/bench/');
  if (b >= 0) return url.slice(b + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(path, top = 25) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  }
  const byFunction = new Map();
  const byWhere = new Map();
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    const name = cf.functionName || '(anonymous)';
    const key = `${name} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const w = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : where(cf.url);
    byWhere.set(w, (byWhere.get(w) ?? 0) + us);
  }
  const busy = total - (byWhere.get('(idle)') ?? 0);
  // By area: self time, and inclusive (time with a frame of the area anywhere on the stack).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByArea = new Map();
  const inclusiveByArea = new Map();
  for (const [id, us] of self) {
    const name = byId.get(id).callFrame.functionName;
    if (name === '(idle)') continue;
    // Native code (a syscall, a builtin) counts for the nearest caller with a place in the code.
    let own = ['(program)', '(garbage collector)', '(root)'].includes(name) ? name : null;
    for (let n = id; !own && n !== undefined; n = parent.get(n))
      own = area(byId.get(n).callFrame.url);
    own ??= '(native / V8)';
    selfByArea.set(own, (selfByArea.get(own) ?? 0) + us);
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const a = area(byId.get(n).callFrame.url);
      if (a && !seen.has(a)) {
        seen.add(a);
        inclusiveByArea.set(a, (inclusiveByArea.get(a) ?? 0) + us);
      }
    }
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(1)}%`;
  const rows = (map, n) =>
    [...map.entries()]
      .filter(([k]) => k !== '(idle)' && !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  const lines = [
    `Profile \`${path}\`: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy. Shares are of busy time.`,
    '',
    '| self time by origin | share |',
    '| --- | --- |',
    ...rows(byWhere, 12).map(([k, us]) => `| ${k} | ${pct(us)} |`),
    '',
    '| area (native code counts for its caller) | self | inclusive (on the stack) |',
    '| --- | --- | --- |',
    ...rows(selfByArea, 30).map(
      ([k, us]) =>
        `| ${k} | ${pct(us)} | ${inclusiveByArea.has(k) ? pct(inclusiveByArea.get(k)) : ''} |`,
    ),
    '',
    '| top functions by self time | share |',
    '| --- | --- |',
    ...rows(byFunction, top).map(([k, us]) => `| \`${k.replace(/\|/g, '\\|')}\` | ${pct(us)} |`),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(summarizeProfile(process.argv[2], Number(process.argv[3] ?? 25)));
}
