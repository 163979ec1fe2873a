/**
 * A latency histogram with ~1% relative precision from 1 µs to ~20 min: bucket i holds values up
 * to 1.01^i µs. Fixed size, no allocation per sample, and mergeable across processes (sent over
 * IPC as sparse [index, count] pairs).
 */
const STEP = 1.01;
const INV_LOG_STEP = 1 / Math.log(STEP);
const SIZE = 2200;

export class Histogram {
  constructor() {
    this.counts = new Uint32Array(SIZE);
    this.total = 0;
    this.maxMs = 0;
  }

  /** Records one latency, in milliseconds. */
  record(ms) {
    const us = ms * 1000;
    let i = us <= 1 ? 0 : Math.ceil(Math.log(us) * INV_LOG_STEP);
    if (i >= SIZE) i = SIZE - 1;
    this.counts[i]++;
    this.total++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** Records `n` samples of the same latency (frames that arrived in one read). */
  recordN(ms, n) {
    const us = ms * 1000;
    let i = us <= 1 ? 0 : Math.ceil(Math.log(us) * INV_LOG_STEP);
    if (i >= SIZE) i = SIZE - 1;
    this.counts[i] += n;
    this.total += n;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  reset() {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
  }

  toJSON() {
    const sparse = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i] !== 0) sparse.push([i, this.counts[i]]);
    return { sparse, total: this.total, maxMs: this.maxMs };
  }

  static fromJSON(json) {
    const h = new Histogram();
    h.add(json);
    return h;
  }

  /** Adds another histogram (or its JSON form) into this one. */
  add(other) {
    const json = other instanceof Histogram ? other.toJSON() : other;
    for (const [i, c] of json.sparse) this.counts[i] += c;
    this.total += json.total;
    if (json.maxMs > this.maxMs) this.maxMs = json.maxMs;
    return this;
  }

  /** The value (ms) at quantile q in [0, 1]; null when empty. */
  quantile(q) {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(STEP ** i / 1000, this.maxMs);
    }
    return this.maxMs;
  }
}
