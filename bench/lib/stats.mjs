/** The median of the finite numbers in `values`; null when there are none. */
export function median(values) {
  const xs = values
    .filter((v) => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** The per-key median of a list of flat records (numbers only; other values from the first). */
export function medianRecord(records) {
  if (records.length === 0) return {};
  const out = {};
  for (const key of Object.keys(records[0])) {
    const values = records.map((r) => r[key]);
    out[key] = values.every((v) => v === null || typeof v === 'number')
      ? median(values)
      : values[0];
  }
  return out;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
