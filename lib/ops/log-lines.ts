/**
 * A request's story from the logs alone: the JSON lines that carry its
 * correlation id, in time order. Shared by the console's timeline (deployed)
 * and `npm run trace` / `npm run demo` (scripts import it from here; nothing
 * deployed imports scripts/). No imports: Node runs it as is (type stripping).
 */

/** One structured log line of any service (the Powertools JSON fields). */
export type LogLine = Record<string, unknown> & { timestamp: string };

/** The JSON log records in `text` (other lines, e.g. serverless-offline's own, are skipped). */
export function parseLogLines(text: string): LogLine[] {
  const records: LogLine[] = [];
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

/** Records oldest first; lines with the same timestamp keep their order in the file. */
function inTimeOrder(records: LogLine[]): LogLine[] {
  return records
    .map((r, index) => ({ r, index }))
    .sort((a, b) => Date.parse(a.r.timestamp) - Date.parse(b.r.timestamp) || a.index - b.index)
    .map(({ r }) => r);
}

/** The records of one request, oldest first. */
export function timeline(records: LogLine[], correlationId: string): LogLine[] {
  return inTimeOrder(records.filter((r) => r.correlation_id === correlationId));
}

/**
 * The correlation ids of everything that touched `id`: a correlation id itself,
 * or a transactionId or orderId, whose first try, retries (each its own
 * correlation id), gateway callback and relay deliveries are then one story.
 */
export function correlationIdsOf(records: LogLine[], id: string): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    if (typeof r.correlation_id !== 'string') continue;
    if (r.correlation_id === id || r.transactionId === id || r.orderId === id) {
      ids.add(r.correlation_id);
    }
  }
  return [...ids];
}

/** Every record of every request that touched `id` (see {@link correlationIdsOf}), oldest first. */
export function story(records: LogLine[], id: string): LogLine[] {
  const ids = new Set(correlationIdsOf(records, id));
  return inTimeOrder(records.filter((r) => ids.has(String(r.correlation_id))));
}
