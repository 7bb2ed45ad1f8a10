// @ts-check
/**
 * Each function's bundle, built with esbuild exactly as serverless.yml's
 * `custom.esbuild` builds it for deployment, and its import+init time in a
 * fresh Node process, next to a baseline bundle that only builds a DynamoDB
 * document client and a Powertools Logger (functions/bench/baseline.ts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { percentile } from '../common/report.mjs';
import { esbuildOptions, handlerEntry } from '../stack/bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/** The name the baseline bundle is reported under. */
export const BASELINE = 'baseline (DynamoDB doc client + Logger)';
const BASELINE_ENTRY = 'functions/bench/baseline.ts';

/**
 * Bytes each npm package (or `(our code)`) contributes to a bundle, largest first.
 * @param {Record<string, { bytesInOutput: number }>} inputs esbuild metafile inputs of one output
 * @returns {Map<string, number>}
 */
export function packageSizes(inputs) {
  /** @type {Map<string, number>} */
  const sizes = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match?.[1] ?? '(our code)';
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  return new Map([...sizes].sort((a, b) => b[1] - a[1]));
}

/**
 * The output files a cold start loads: `entry` and, transitively, the chunks
 * it imports statically (with code splitting); not those behind an import().
 * @param {Record<string, { imports: { path: string, kind: string, external?: boolean }[] }>} outputs esbuild metafile outputs
 * @param {string} entry
 * @param {'import-statement' | 'dynamic-import'} [kind]
 * @returns {string[]}
 */
export function loadedOutputs(outputs, entry, kind = 'import-statement') {
  /** @type {Set<string>} */
  const seen = new Set();
  const walk = (/** @type {string} */ file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of outputs[file]?.imports ?? []) {
      if (!i.external && i.kind === 'import-statement') walk(i.path);
    }
  };
  walk(entry);
  if (kind === 'import-statement') return [...seen];
  // The chunks behind an import() of what a cold start loads (each with its own static imports).
  /** @type {Set<string>} */
  const lazy = new Set();
  for (const file of seen) {
    for (const i of outputs[file]?.imports ?? []) {
      if (!i.external && i.kind === 'dynamic-import' && !seen.has(i.path)) lazy.add(i.path);
    }
  }
  return [...lazy];
}

/**
 * Builds every function of `config` plus the baseline, each into its own
 * folder of `outDir`. `bytes` is what a cold start loads: the handler file
 * and the chunks it imports statically; `lazy` lists the chunks behind an
 * import() (the Tracer's, the AWS SDK's credential providers...).
 * @param {Record<string, any>} config the resolved serverless config
 * @param {string} outDir
 * @returns {Promise<{ name: string, file: string, bytes: number, gzipBytes: number, files: number, packages: Map<string, number>, lazy: { file: string, bytes: number, packages: Map<string, number> }[] }[]>}
 */
export async function buildBundles(config, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const options = esbuildOptions(config.custom?.esbuild ?? {});
  const extension = config.custom?.esbuild?.outputFileExtension ?? '.mjs';
  const entries = [
    ...Object.entries(config.functions ?? {})
      .filter(([name]) => !name.startsWith('bench'))
      .map(([name, fn]) => ({ name, entry: handlerEntry(fn.handler) })),
    { name: BASELINE, entry: BASELINE_ENTRY },
  ];
  const bundles = [];
  for (const { name, entry } of entries) {
    const dir = path.join(outDir, name.replace(/\W+/g, '-'));
    const result = await build({
      ...options,
      entryPoints: [path.join(root, entry)],
      absWorkingDir: root,
      outdir: dir,
      outExtension: { '.js': extension },
      logLevel: 'error',
      metafile: true,
    });
    const outputs = result.metafile?.outputs ?? {};
    // With splitting, each import() target is an entry point of its own too.
    const main = Object.keys(outputs).find((o) => outputs[o]?.entryPoint === entry);
    if (!main) throw new Error(`esbuild wrote no entry for ${entry}`);
    const loaded = loadedOutputs(outputs, main);
    /** @param {string[]} files @returns {[string, { bytesInOutput: number }][]} */
    const inputsOf = (files) =>
      files.flatMap((f) =>
        Object.entries(outputs[f]?.inputs ?? {}).map(
          ([input, v]) => /** @type {[string, { bytesInOutput: number }]} */ ([`${input}`, v]),
        ),
      );
    /** @param {string[]} files */
    const sizeOf = (files) => files.reduce((n, f) => n + statSync(path.resolve(root, f)).size, 0);
    bundles.push({
      name,
      file: path.resolve(root, main),
      bytes: sizeOf(loaded),
      gzipBytes: loaded.reduce(
        (n, f) => n + gzipSync(readFileSync(path.resolve(root, f))).length,
        0,
      ),
      files: loaded.length,
      packages: packageSizes(Object.fromEntries(mergeInputs(inputsOf(loaded)))),
      lazy: loadedOutputs(outputs, main, 'dynamic-import').map((f) => ({
        file: path.relative(dir, path.resolve(root, f)),
        bytes: sizeOf(loadedOutputs(outputs, f).filter((c) => !loaded.includes(c))),
        packages: packageSizes(
          Object.fromEntries(
            mergeInputs(inputsOf(loadedOutputs(outputs, f).filter((c) => !loaded.includes(c)))),
          ),
        ),
      })),
    });
  }
  return bundles;
}

/**
 * Inputs of several outputs summed by input file.
 * @param {[string, { bytesInOutput: number }][]} inputs
 * @returns {Map<string, { bytesInOutput: number }>}
 */
function mergeInputs(inputs) {
  /** @type {Map<string, { bytesInOutput: number }>} */
  const merged = new Map();
  for (const [input, { bytesInOutput }] of inputs) {
    merged.set(input, { bytesInOutput: (merged.get(input)?.bytesInOutput ?? 0) + bytesInOutput });
  }
  return merged;
}

/**
 * The environment a function's bundle runs with in Lambda: the template's
 * variables for `name` (provider and function level; a CloudFormation
 * reference, known only in AWS, becomes a placeholder URL) plus those the
 * Lambda runtime sets itself. The baseline gets the provider's.
 * @param {Record<string, any>} config the resolved serverless config of the stage
 * @param {string} name a function name, or any other name for the provider's variables only
 * @returns {Record<string, string>}
 */
export function lambdaEnvironment(config, name) {
  const fn = config.functions?.[name] ?? {};
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries({
    ...config.provider?.environment,
    ...fn.environment,
  })) {
    env[key] = typeof value === 'string' ? value : 'https://api.example';
  }
  const region = config.provider?.region ?? 'eu-west-1';
  return {
    ...env,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${config.provider?.runtime ?? 'nodejs24.x'}`,
    AWS_LAMBDA_FUNCTION_NAME: `${config.service}-${config.provider?.stage}-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize ?? config.provider?.memorySize ?? 1024),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
  };
}

/**
 * Import+init time of each bundle over `rounds` fresh Node processes,
 * interleaved so that machine noise spreads over every bundle alike: the
 * median wall time, and the lower quartile and median of the CPU time. The
 * lower quartile is the figure: on this machine the noise is bimodal (some
 * 40 % of processes, at random, take 1.3-1.4× as long), so a median sits on
 * the border between the two modes and moves by a third from run to run,
 * while the lower quartile stays in the fast mode as long as fewer than three
 * processes in four are slowed. `env` is one environment for all, or each
 * bundle's own.
 * @param {{ name: string, file: string }[]} bundles
 * @param {{ rounds: number, env: NodeJS.ProcessEnv | ((name: string) => NodeJS.ProcessEnv) }} options
 * @returns {Promise<Map<string, { ms: number, cpuMs: number, cpuMedianMs: number, error?: string }>>}
 */
export async function measureInit(bundles, options) {
  const script = path.join(root, 'scripts', 'lib', 'measure', 'measure-init.mjs');
  /** @type {Map<string, number[]>} */
  const samples = new Map();
  /** @type {Map<string, number[]>} */
  const cpuSamples = new Map();
  /** @type {Map<string, string>} */
  const errors = new Map();
  for (let round = 0; round < options.rounds; round++) {
    for (const bundle of bundles) {
      const { stdout } = await run(process.execPath, [script, bundle.file], {
        cwd: path.dirname(bundle.file),
        env: typeof options.env === 'function' ? options.env(bundle.name) : options.env,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
      if (result.ok) {
        samples.set(bundle.name, [...(samples.get(bundle.name) ?? []), result.ms]);
        cpuSamples.set(bundle.name, [...(cpuSamples.get(bundle.name) ?? []), result.cpuMs]);
      } else errors.set(bundle.name, result.error ?? 'failed');
    }
  }
  return new Map(
    bundles.map((b) => {
      const ms = percentile(samples.get(b.name) ?? [], 50);
      const cpu = cpuSamples.get(b.name) ?? [];
      const cpuMs = percentile(cpu, 25);
      const cpuMedianMs = percentile(cpu, 50);
      return [
        b.name,
        Number.isFinite(ms)
          ? { ms, cpuMs, cpuMedianMs }
          : { ms, cpuMs, cpuMedianMs, error: errors.get(b.name) },
      ];
    }),
  );
}
