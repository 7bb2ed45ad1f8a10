#!/usr/bin/env node
// @ts-check
/**
 * `npm run trace -- <correlationId> [logFile]`: the request's path through every
 * service, in time order, from the local stack's log file (.logs/local.log by
 * default; LOG_FILE overrides). In AWS, use the CloudWatch Logs Insights query
 * in docs/operations.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTimeline, parseLogLines, timeline } from './lib/trace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [correlationId, file = process.env.LOG_FILE ?? path.join(root, '.logs', 'local.log')] =
  process.argv.slice(2);
if (!correlationId) {
  console.error('usage: npm run trace -- <correlationId> [logFile]');
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
const entries = timeline(parseLogLines(text), correlationId);
console.log(`Trace of ${correlationId}: ${entries.length} log lines from ${file}\n`);
console.log(formatTimeline(entries));
process.exit(entries.length > 0 ? 0 : 1);
