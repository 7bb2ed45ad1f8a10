// @ts-check
/**
 * Follows one request through every service from the logs alone: keeps the
 * JSON lines that carry the correlation id and orders them in time.
 */

/**
 * The JSON log records in `text` (other lines, e.g. serverless-offline's own, are skipped).
 * @param {string} text
 * @returns {Record<string, any>[]}
 */
export function parseLogLines(text) {
  const records = [];
  for (const line of text.split('\n')) {
    const start = line.indexOf('{');
    if (start === -1) continue;
    try {
      const record = JSON.parse(line.slice(start));
      if (record && typeof record === 'object' && typeof record.timestamp === 'string')
        records.push(record);
    } catch {
      // not a JSON log line
    }
  }
  return records;
}

/**
 * The records of one request, oldest first.
 * @param {Record<string, any>[]} records
 * @param {string} correlationId
 */
export function timeline(records, correlationId) {
  return inTimeOrder(records.filter((r) => r.correlation_id === correlationId));
}

/**
 * Records oldest first; lines with the same timestamp keep their order in the file.
 * @param {Record<string, any>[]} records
 */
function inTimeOrder(records) {
  return records
    .map((r, index) => ({ r, index }))
    .sort((a, b) => Date.parse(a.r.timestamp) - Date.parse(b.r.timestamp) || a.index - b.index)
    .map(({ r }) => r);
}

/**
 * The correlation ids of everything that touched `id`: a correlation id itself,
 * or a transactionId or orderId, whose first try, retries (each its own
 * correlation id), gateway callback and relay deliveries are then one story.
 * @param {Record<string, any>[]} records
 * @param {string} id
 * @returns {string[]}
 */
export function correlationIdsOf(records, id) {
  const ids = new Set();
  for (const r of records) {
    if (typeof r.correlation_id !== 'string') continue;
    if (r.correlation_id === id || r.transactionId === id || r.orderId === id) {
      ids.add(r.correlation_id);
    }
  }
  return [...ids];
}

/**
 * Every record of every request that touched `id` (see {@link correlationIdsOf}), oldest first.
 * @param {Record<string, any>[]} records
 * @param {string} id
 */
export function story(records, id) {
  const ids = new Set(correlationIdsOf(records, id));
  return inTimeOrder(records.filter((r) => ids.has(r.correlation_id)));
}

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
