/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and self
 * time by where the code lives (Ripple's dist/, @nestjs/*, rxjs, express, Node internals, GC...).
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
    '| top functions by self time | share |',
    '| --- | --- |',
    ...rows(byFunction, top).map(([k, us]) => `| \`${k.replace(/\|/g, '\\|')}\` | ${pct(us)} |`),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(summarizeProfile(process.argv[2], Number(process.argv[3] ?? 25)));
}
