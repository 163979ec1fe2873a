/** One sample line of Prometheus's text format: `name{label="value",...} 42`. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * Parses the text exposition format (version 0.0.4) as a scraper would: comments and blank lines
 * skipped, label values unescaped. A line it cannot read fails the test that scraped it.
 */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) {
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) {
      throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    }
    const [, name, labelText = '', value] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let label = LABEL.exec(labelText); label; label = LABEL.exec(labelText)) {
      labels[label[1]] = label[2].replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = LABEL.lastIndex;
    }
    if (consumed !== labelText.length) {
      throw new Error(`unreadable labels in ${JSON.stringify(line)}`);
    }
    samples.push({ name, labels, value: parseValue(value) });
  }
  return samples;
}

/** As Prometheus reads it (Go's ParseFloat): `NaN`, `+Inf`, `-Inf` in any case (prom-client writes `Nan`). */
function parseValue(text: string): number {
  const special = /^([+-]?)(inf|nan)$/i.exec(text);
  if (special) {
    return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  }
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) {
    throw new Error(`not a sample value: ${text}`);
  }
  return value;
}

/** A scrape, with the questions the tests ask of it. */
export class Scrape {
  constructor(readonly samples: PromSample[]) {}

  /** The samples named `name` whose labels include every one of `labels`. */
  matching(name: string, labels: Record<string, string> = {}): PromSample[] {
    return this.samples.filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  }

  /** Their sum: 0 when there is none. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((total, sample) => total + sample.value, 0);
  }

  /** The value of the one sample that matches; fails when there is none or several. */
  value(name: string, labels: Record<string, string> = {}): number {
    const found = this.matching(name, labels);
    if (found.length !== 1) {
      throw new Error(
        `expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`,
      );
    }
    return found[0].value;
  }
}

/** GET /metrics of an app, parsed; fails unless it answers 200 in Prometheus's text format. */
export async function scrape(baseUrl: string): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  if (
    res.status !== 200 ||
    !(res.headers.get('content-type') ?? '').startsWith('text/plain; version=0.0.4')
  ) {
    throw new Error(
      `GET /metrics answered ${res.status} ${res.headers.get('content-type')}: ${text}`,
    );
  }
  return new Scrape(parsePrometheus(text));
}
