#!/usr/bin/env node
// @ts-check
/**
 * `npm run package [-- --stage dev]`: `sls package` (no AWS credentials
 * needed) into .serverless/, then each function zip with its size and the
 * size of the bundle inside. sls package never exits when the esbuild build
 * fails, so it runs under a time limit.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZip } from './lib/measure/zip.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const stageAt = args.indexOf('--stage');
const stage = stageAt >= 0 && args[stageAt + 1] ? args[stageAt + 1] : 'dev';
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
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      // Its own build folder, so it can run next to `npm start` (which uses .esbuild).
      ESBUILD_WORK_FOLDER: '.esbuild-package',
    },
  },
);
if (result.status !== 0) {
  console.error(
    `sls package failed (exit ${result.status}${result.status === 124 ? ', timed out' : ''})`,
  );
  process.exit(1);
}

const dir = path.join(root, '.serverless');
const zips = readdirSync(dir)
  .filter((f) => f.endsWith('.zip'))
  .sort();
const kb = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(0).padStart(6)} KB`;
console.log(
  `\nStage ${stage}: .serverless/cloudformation-template-update-stack.json and ${zips.length} zips`,
);
console.log(
  `  ${'zip'.padEnd(24)} ${'zip size'.padStart(9)} ${'bundle'.padStart(9)} ${'map'.padStart(9)}`,
);
let total = 0;
for (const zip of zips) {
  const file = path.join(dir, zip);
  const entries = readZip(file);
  const sum = (/** @type {(name: string) => boolean} */ match) =>
    entries.filter((e) => match(e.name)).reduce((n, e) => n + e.size, 0);
  const size = statSync(file).size;
  total += size;
  console.log(
    `  ${zip.padEnd(24)} ${kb(size)} ${kb(sum((n) => n.endsWith('.mjs')))} ${kb(sum((n) => n.endsWith('.map')))}`,
  );
}
console.log(`  ${'total'.padEnd(24)} ${kb(total)}`);
