#!/usr/bin/env node
// @ts-check
/**
 * `npm run package [-- --stage dev]`: `sls package` (no AWS credentials
 * needed) and a list of the function zips with their sizes. sls package never
 * exits when the esbuild build fails, so it runs under a time limit.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const stage =
  args[args.indexOf('--stage') + 1] && args.includes('--stage')
    ? args[args.indexOf('--stage') + 1]
    : 'dev';
const result = spawnSync(
  'timeout',
  [
    '300',
    process.execPath,
    path.join(root, 'node_modules/serverless/bin/serverless.js'),
    'package',
    '--stage',
    String(stage),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
);
if (result.status !== 0) {
  console.error(
    `sls package failed (exit ${result.status}${result.status === 124 ? ', timed out' : ''})`,
  );
  process.exit(1);
}
const dir = path.join(root, '.serverless');
const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
console.log(
  `\nStage ${stage}: .serverless/cloudformation-template-update-stack.json and ${zips.length} zips`,
);
for (const zip of zips.sort()) {
  console.log(
    `  ${zip.padEnd(32)} ${(statSync(path.join(dir, zip)).size / 1024).toFixed(0).padStart(6)} KB`,
  );
}
