import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { parseLogLines } from '../../lib/ops/log-lines.js';

/** One JSON log record written by a service under the e2e stack. */
export type LogRecord = Record<string, any>;

/** The e2e stack's raw log text (every service, plus serverless-offline's own lines). */
export function rawLogs(): string {
  return readFileSync(inject('logFile'), 'utf8');
}

/**
 * Polls the e2e stack's log file until `done(records)` holds for the records
 * that match `filter`, or fails after `timeoutMs` (log writes are asynchronous).
 */
export async function waitForLogs(
  filter: (record: LogRecord) => boolean,
  done: (records: LogRecord[]) => boolean,
  timeoutMs = 10_000,
): Promise<LogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let records: LogRecord[] = [];
  while (Date.now() < deadline) {
    records = (parseLogLines(rawLogs()) as LogRecord[]).filter(filter);
    if (done(records)) return records;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `Log lines did not appear within ${timeoutMs} ms; got ${JSON.stringify(records).slice(0, 2000)}`,
  );
}
