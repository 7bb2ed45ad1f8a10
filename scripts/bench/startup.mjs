// @ts-check
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { num } from '../lib/common/report.mjs';
import { freePort, stopChild } from '../lib/stack/process.mjs';
import { record, say, TARGETS } from './summary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Part 5: `npm start` until it prints that it is ready (DynamoDB Local
 * already in .cache/), then Ctrl-C.
 */
export async function benchStartup() {
  say('\n## npm start: time until ready');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HTTP_PORT: String(await freePort()),
    LAMBDA_PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
    RELAY_INTERVAL_MS: '0',
    LOG_FILE: path.join(root, '.esbuild', 'bench-start.log'),
  };
  const started = Date.now();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = await new Promise((resolve) => {
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      const match = /Ready in ([\d.]+) s/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => resolve(Number.NaN));
    setTimeout(() => resolve(Number.NaN), 120_000).unref();
  });
  const wall = (Date.now() - started) / 1000;
  await stopChild(child);
  if (!Number.isFinite(ready)) say(`npm start did not get ready:\n${output.slice(-1500)}`);
  say(`npm start printed "Ready in ${num(ready, 1)} s" (${num(wall, 1)} s from spawning it).`);
  record('npm start ready (s)', ready, `${num(ready, 1)} s`, TARGETS.startSeconds, (n) => `${n} s`);
}
