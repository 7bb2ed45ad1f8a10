// @ts-check
/**
 * Follows one request through every service from the logs alone: the
 * parsing and ordering live in lib/ops/log-lines.ts (the console's timeline
 * uses them too); this file prints them for `npm run trace` and the demo.
 */
export {
  correlationIdsOf,
  parseLogLines,
  story,
  timeline,
} from '../../../lib/ops/log-lines.ts';

const ID_KEYS = ['transactionId', 'orderId', 'userId', 'eventId', 'idempotencyKey'];
const DETAIL_KEYS = [
  'durationMs',
  'attempt',
  'status',
  'breakerState',
  'delayMs',
  'code',
  'reason',
];

/**
 * One readable line per record: time, service/function, action, outcome, ids, details.
 * @param {Record<string, any>[]} entries
 */
export function formatTimeline(entries) {
  if (entries.length === 0) return 'No log lines carry that correlation id.';
  const t0 = Date.parse(entries[0]?.timestamp);
  // Lines of several requests (a payment's story): each names its correlation id.
  const multiple = new Set(entries.map((r) => r.correlation_id)).size > 1;
  return entries
    .map((r) => {
      const offset = `+${((Date.parse(r.timestamp) - t0) / 1000).toFixed(3)}s`.padStart(10);
      const where = `${r.service ?? '?'}/${r.function_name ?? '?'}`.padEnd(36);
      const corr = multiple ? ` [${String(r.correlation_id).slice(0, 12)}]` : '';
      const what = `${r.action ?? r.message ?? ''}`.padEnd(28);
      const outcome = `${r.outcome ?? r.level ?? ''}`.padEnd(9);
      const ids = ID_KEYS.filter((k) => r[k] !== undefined).map((k) => `${k}=${r[k]}`);
      const details = DETAIL_KEYS.filter((k) => r[k] !== undefined).map((k) => `${k}=${r[k]}`);
      const error = r.error ? ` error=${r.error.name ?? ''}: ${r.error.message ?? r.error}` : '';
      return `${r.timestamp} ${offset}  ${where} ${what} ${outcome} ${[...ids, ...details].join(' ')}${error}${corr}`;
    })
    .join('\n');
}
