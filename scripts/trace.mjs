#!/usr/bin/env node
// @ts-check
/**
 * `npm run trace -- <id> [logFile]`: the path through every service, in time
 * order, from the local stack's log file (.logs/local.log by default; LOG_FILE
 * overrides). `<id>` is a correlation id (one request), or a transactionId or
 * orderId: then every request that touched it (the first try, retries under
 * new correlation ids, the gateway's callback, the relay's late deliveries)
 * is one story. In AWS, use the CloudWatch Logs Insights query in docs/operations.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { correlationIdsOf, formatTimeline, parseLogLines, story } from './lib/ops/trace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [id, file = process.env.LOG_FILE ?? path.join(root, '.logs', 'local.log')] =
  process.argv.slice(2);
if (!id) {
  console.error('usage: npm run trace -- <correlationId | transactionId | orderId> [logFile]');
  process.exit(2);
}
let text;
try {
  text = readFileSync(file, 'utf8');
} catch {
  console.error(
    `Cannot read ${file}: start the stack with \`npm start\` (it writes every service's logs there).`,
  );
  process.exit(2);
}
const records = parseLogLines(text);
const joined = correlationIdsOf(records, id);
const entries = story(records, id);
console.log(
  `Trace of ${id}: ${entries.length} log lines of ${joined.length} request(s) from ${file}` +
    (joined.length > 1 ? `\ncorrelation ids: ${joined.join(', ')}` : '') +
    '\n',
);
console.log(formatTimeline(entries));
process.exit(entries.length > 0 ? 0 : 1);
