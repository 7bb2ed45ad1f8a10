// @ts-check
/**
 * Numbers and their presentation for `npm run bench`, `npm run chaos` and
 * `npm run demo`: percentiles, ratios against a target, and plain-text tables
 * that read well in a terminal and in a CI log.
 */

/**
 * The p-th percentile (0–100) of `values` by the nearest-rank method: the
 * smallest value with at least p % of the samples at or below it, so p99 of
 * 100 samples is the 99th smallest and never an interpolated value nobody saw.
 * @param {number[]} values
 * @param {number} p
 * @returns {number} NaN when there are no values
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return /** @type {number} */ (sorted[rank - 1]);
}

/**
 * `value / reference`, NaN when either is missing or the reference is zero.
 * @param {number | undefined} value
 * @param {number | undefined} reference
 */
export function ratio(value, reference) {
  if (value === undefined || reference === undefined) return Number.NaN;
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return Number.NaN;
  return value / reference;
}

/**
 * Whether `value` meets a target: `{ atLeast }` or `{ atMost }`. Unknown (NaN)
 * values meet nothing.
 * @param {number} value
 * @param {{ atLeast?: number, atMost?: number }} target
 */
export function meetsTarget(value, target) {
  if (!Number.isFinite(value)) return false;
  if (target.atLeast !== undefined && value < target.atLeast) return false;
  if (target.atMost !== undefined && value > target.atMost) return false;
  return true;
}

/**
 * Formats a number for a table: `digits` decimals, thousands separated; '-' when unknown.
 * @param {number | undefined} value
 * @param {number} [digits]
 */
export function num(value, digits = 0) {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * A ratio as `0.87×`, or '-' when unknown.
 * @param {number} value
 */
export function times(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '-';
}

/**
 * A fixed-width text table; numeric-looking cells are right-aligned.
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 */
export function table(header, rows) {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = /^[-+]?[\d,.]+(\s?(%|×|ms|KB|MB|req\/s))?$|^-$/;
  const line = (/** @type {string[]} */ r) =>
    r
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return i > 0 && numeric.test(c) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/**
 * A verdict cell: `ok` or `MISSED`, with the target it was checked against.
 * @param {number} value
 * @param {{ atLeast?: number, atMost?: number }} target
 * @param {(n: number) => string} show
 */
export function verdict(value, target, show) {
  const bound =
    target.atLeast !== undefined
      ? `≥ ${show(target.atLeast)}`
      : `≤ ${show(target.atMost ?? Number.NaN)}`;
  if (!Number.isFinite(value)) return `n/a (target ${bound})`;
  return `${meetsTarget(value, target) ? 'ok' : 'MISSED'} (target ${bound})`;
}
