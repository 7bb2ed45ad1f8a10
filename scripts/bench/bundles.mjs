// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { num, ratio, table, times } from '../lib/common/report.mjs';
import { BASELINE, buildBundles, lambdaEnvironment, measureInit } from '../lib/measure/bundles.mjs';
import { resolvedServerlessConfig } from '../lib/stack/tables.mjs';
import { record, say, TARGETS } from './summary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Part 3: bundles and their init time against the baseline, as deployed. */
export async function benchBundles(/** @type {number} */ rounds, /** @type {string} */ stage) {
  say('\n## Bundles: size and import+init time in a fresh Node process');
  // A deployment must export the gateway's secret (it has no default in AWS).
  const config = await resolvedServerlessConfig(stage, {
    ...process.env,
    GATEWAY_WEBHOOK_SECRET: process.env.GATEWAY_WEBHOOK_SECRET || 'bench-webhook-secret',
  });
  const bundles = await buildBundles(config, path.join(root, '.esbuild', 'bench'));
  const envOf = (/** @type {string} */ name) =>
    /** @type {Record<string, string | undefined>} */ ({
      PATH: process.env.PATH,
      ...lambdaEnvironment(config, name),
    });
  const sourceMaps = envOf(BASELINE).NODE_OPTIONS ?? '';
  const init = await measureInit(bundles, { rounds, env: envOf });
  // The other choice on source maps (on if the template has them off, and
  // the reverse): what they cost at a cold start.
  const mapsOn = /--enable-source-maps/.test(sourceMaps);
  const other = mapsOn ? '' : '--enable-source-maps';
  const bare = await measureInit(bundles, {
    rounds,
    env: (name) => ({ ...envOf(name), NODE_OPTIONS: other }),
  });
  // CPU time of the import is the figure: on a shared machine the wall time
  // mostly measures the neighbours (both are shown). The lower quartile of
  // the interleaved processes (measureInit says why); the median is shown
  // beside it.
  const baselineMs = init.get(BASELINE)?.cpuMs;
  const baselineMedianMs = init.get(BASELINE)?.cpuMedianMs;
  const baselineBareMs = bare.get(BASELINE)?.cpuMs;
  const baseline = bundles.find((b) => b.name === BASELINE);
  const rows = bundles.map((b) => {
    const kb = b.bytes / 1024;
    const measured = init.get(b.name);
    const r = ratio(measured?.cpuMs, baselineMs);
    const medianRatio = ratio(measured?.cpuMedianMs, baselineMedianMs);
    const sizeRatio = ratio(b.bytes, baseline?.bytes);
    const bareRatio = ratio(bare.get(b.name)?.cpuMs, baselineBareMs);
    const isBaseline = b.name === BASELINE;
    if (!isBaseline) {
      record(
        `size of ${b.name} vs baseline`,
        sizeRatio,
        `${num(kb)} KB`,
        TARGETS.bundleRatio,
        (n) => `${n}×`,
      );
      record(
        `import+init of ${b.name} vs baseline`,
        r,
        measured?.error
          ? `failed: ${measured.error.slice(0, 30)}`
          : `${num(measured?.cpuMs, 1)} ms CPU`,
        TARGETS.initRatio,
        (n) => `${n}×`,
      );
    }
    return [
      b.name,
      num(kb),
      isBaseline ? '1.00×' : times(sizeRatio),
      num(b.gzipBytes / 1024),
      measured?.error ? `failed: ${measured.error.slice(0, 40)}` : num(measured?.cpuMs, 1),
      num(measured?.ms, 1),
      isBaseline ? '1.00×' : times(r),
      num(measured?.cpuMedianMs, 1),
      isBaseline ? '1.00×' : times(medianRatio),
      num(bare.get(b.name)?.cpuMs, 1),
      isBaseline ? '1.00×' : times(bareRatio),
    ];
  });
  say(
    `esbuild options of stage ${stage} from serverless.yml custom.esbuild (minify: ${config.custom?.esbuild?.minify}, ` +
      `sourcemap: ${config.custom?.esbuild?.sourcemap}, SDK ${(config.custom?.esbuild?.exclude ?? []).length ? `excluded: ${config.custom.esbuild.exclude.join(' ')}` : 'bundled'}); ` +
      `each bundle with its template environment (NODE_OPTIONS=${sourceMaps || '(none)'}) and the Lambda runtime's variables; ` +
      `${rounds} processes each, interleaved: the lower quartile of the CPU time is the figure (the noise here is bimodal: ` +
      `some processes, at random, take 1.3-1.4× as long); the median is shown beside it.\n`,
  );
  say(
    table(
      [
        'bundle',
        'KB',
        'size vs baseline',
        'gzip KB',
        'init CPU ms (lower quartile)',
        'wall ms (median)',
        'vs baseline (CPU)',
        'median CPU ms',
        'vs baseline (median)',
        mapsOn ? 'CPU ms, no source maps' : 'CPU ms, --enable-source-maps',
        'vs baseline',
      ],
      rows,
    ),
  );
  const largest = [...bundles].sort((a, b) => b.bytes - a.bytes)[0];
  const smallest = bundles.filter((b) => b.name !== BASELINE).sort((a, b) => a.bytes - b.bytes)[0];
  for (const b of [largest, smallest]) {
    if (!b) continue;
    const top = [...b.packages]
      .slice(0, 6)
      .map(([name, bytes]) => `${name} ${num(bytes / 1024)} KB`)
      .join(', ');
    say(`\nWhat ${b.name} is made of (largest first): ${top}`);
  }
  // Code splitting: what each bundle loads only when first needed (not counted above).
  say(
    '\nLoaded on demand (chunks behind an import(), with what they add to the cold-start files):',
  );
  for (const b of bundles) {
    const lazy = [...b.lazy].sort((x, y) => y.bytes - x.bytes);
    const total = lazy.reduce((n, c) => n + c.bytes, 0);
    const largest = lazy
      .slice(0, 2)
      .map(
        (c) =>
          `${c.file} ${num(c.bytes / 1024)} KB (${[...c.packages.keys()].slice(0, 3).join(', ')})`,
      )
      .join('; ');
    say(
      `  ${b.name}: ${b.files} file(s) at a cold start; ${lazy.length} on demand, ${num(total / 1024)} KB${largest ? `: ${largest}` : ''}`,
    );
  }
}
