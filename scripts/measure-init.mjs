#!/usr/bin/env node
// @ts-check
/**
 * `node scripts/measure-init.mjs [runs]`: is a Lambda bundle faster to start
 * with the AWS SDK v3 bundled in, or marked external and loaded from
 * node_modules (the local stand-in for the Lambda runtime's own copy)?
 *
 * It builds one probe with custom.esbuild's settings twice and, in fresh Node
 * processes, times importing the bundle and constructing what a payment
 * function builds at cold start (Logger, Tracer, DynamoDB document client,
 * idempotency persistence layer, SSM provider). Medians over `runs` processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
// Output inside the repo so an external @aws-sdk/* resolves from ./node_modules.
const out = mkdtempSync(path.join(root, '.esbuild-measure-'));
const banner =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const probe = path.join(out, 'probe.ts');
writeFileSync(
  probe,
  `
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { dynamoFromEnv } from '${path.join(root, 'lib/shared/dynamo.ts')}';
export const logger = new Logger({ serviceName: 'payment' });
export const tracer = new Tracer({ serviceName: 'payment' });
export const { doc } = dynamoFromEnv();
export const persistence = new DynamoDBPersistenceLayer({ tableName: 'idempotency' });
export const ssm = new SSMProvider();
export const handler = async () => ({ statusCode: 200 });
`,
);

/** @param {string} name @param {string[]} external */
async function bundle(name, external) {
  const outfile = path.join(out, name, 'index.mjs');
  mkdirSync(path.dirname(outfile), { recursive: true });
  await build({
    entryPoints: [probe],
    outfile,
    bundle: true,
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: banner },
    external,
    logLevel: 'error',
  });
  return outfile;
}

/** Milliseconds to import and initialise the bundle, in a fresh process. */
function timeOnce(/** @type {string} */ file, sourceMaps = false) {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t0);`;
  const result = spawnSync(
    process.execPath,
    [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script],
    {
      env: {
        ...process.env,
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_TRACE_ENABLED: 'false',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return Number(result.stdout.trim());
}

/** @param {number[]} values */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

try {
  const bundled = await bundle('bundled', []);
  const external = await bundle('external', ['@aws-sdk/*', '@smithy/*']);
  /** @type {Record<string, [string, boolean]>} */
  const variants = {
    'SDK bundled': [bundled, false],
    'SDK external (node_modules)': [external, false],
    // What the functions run with: NODE_OPTIONS=--enable-source-maps.
    'SDK bundled + source maps': [bundled, true],
    'SDK external + source maps': [external, true],
  };
  /** @type {Record<string, number[]>} */
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  timeOnce(bundled); // warm the file system cache for both
  timeOnce(external);
  for (let i = 0; i < runs; i++) {
    // Interleaved, so a noisy neighbour on the machine hurts both alike.
    for (const [name, [file, maps]] of Object.entries(variants)) {
      samples[name]?.push(timeOnce(file, maps));
    }
  }
  for (const [name, [file]] of Object.entries(variants)) {
    const kb = (statSync(file).size / 1024).toFixed(0);
    const ms = median(samples[name] ?? []).toFixed(1);
    console.log(
      `${name.padEnd(30)} bundle ${kb.padStart(5)} KB   import+init median ${ms} ms (${runs} runs)`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
