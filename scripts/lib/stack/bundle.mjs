// @ts-check
/**
 * Building the functions as serverless-esbuild does: serverless.yml's
 * `custom.esbuild` turned into esbuild options, and the local stages' one
 * build of every function (run by scripts/serverless-offline-bundle.cjs).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { context } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** custom.esbuild keys that are serverless-esbuild's own, not esbuild options. */
const PLUGIN_ONLY = new Set([
  'outputFileExtension',
  'exclude',
  'packager',
  'packagerOptions',
  'packagePath',
  'nodeExternals',
  'concurrency',
  'zipConcurrency',
  'installExtraArgs',
  'watch',
  'keepOutputDirectory',
  'nativeZip',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'outputWorkFolder',
  'outputBuildFolder',
  'plugins',
  'config',
]);

/**
 * esbuild options equivalent to serverless-esbuild's for `custom`: its own
 * keys dropped, `exclude` turned into `external` and `plugins` (a CommonJS
 * file of esbuild plugins) loaded, as the plugin does.
 * @param {Record<string, any>} custom serverless.yml's custom.esbuild, resolved
 * @returns {import('esbuild').BuildOptions}
 */
export function esbuildOptions(custom) {
  /** @type {Record<string, any>} */
  const options = {};
  for (const [key, value] of Object.entries(custom ?? {})) {
    if (!PLUGIN_ONLY.has(key)) options[key] = value;
  }
  const exclude = Array.isArray(custom?.exclude) ? custom.exclude.filter((e) => e !== '*') : [];
  options.external = [...new Set([...(options.external ?? []), ...exclude])];
  if (typeof custom?.plugins === 'string') {
    options.plugins = createRequire(import.meta.url)(path.join(root, custom.plugins));
  }
  options.bundle ??= true;
  options.platform ??= 'node';
  return options;
}

/**
 * The handler file of a serverless.yml `handler` (e.g. functions/order/create.handler).
 * @param {string} handler
 */
export function handlerEntry(handler) {
  const file = handler.slice(0, handler.lastIndexOf('.'));
  return `${file}.ts`;
}

/**
 * Every function's entry in ONE esbuild build, written where serverless-esbuild
 * writes its own per-function builds (`<outputWorkFolder>/<outputBuildFolder>/`,
 * the entry's path inside it, `outputFileExtension`) and where it points
 * serverless-offline. The modules the functions share (the AWS SDK,
 * Powertools) are parsed once instead of once per function; without code
 * splitting each entry is still linked on its own, so each bundle is byte for
 * byte the one the plugin builds (test/unit/offline-bundle.test.ts). With
 * splitting a build of many entries would share chunks between them: refused.
 *
 * Resolves once the build is written; `rebuild` builds again, incrementally
 * (the build's context is kept, as the plugin keeps its own), and `dispose`
 * ends the context.
 * @param {{ functions: Record<string, { handler?: string }>, esbuild: Record<string, any> }} options
 *   serverless.yml's functions and custom.esbuild, resolved for the stage
 * @returns {Promise<{ outdir: string, entries: string[], rebuild: () => Promise<void>,
 *                     dispose: () => Promise<void> }>}
 */
export async function bundleFunctions(options) {
  const custom = options.esbuild;
  if (custom.splitting) {
    throw new Error('one build of every function needs custom.esbuild.splitting off');
  }
  const entries = [
    ...new Set(
      Object.values(options.functions).flatMap((fn) =>
        fn.handler ? [handlerEntry(fn.handler)] : [],
      ),
    ),
  ];
  for (const entry of entries) {
    if (!existsSync(path.join(root, entry))) throw new Error(`no handler file ${entry}`);
  }
  const outdir = path.join(
    root,
    custom.outputWorkFolder ?? '.esbuild',
    custom.outputBuildFolder ?? '.build',
  );
  const extension = custom.outputFileExtension ?? '.js';
  const ctx = await context({
    ...esbuildOptions(custom),
    ...(extension === '.js' ? {} : { outExtension: { '.js': extension } }),
    absWorkingDir: root,
    entryPoints: entries,
    outbase: root,
    outdir,
  });
  const rebuild = async () => {
    await ctx.rebuild();
  };
  try {
    await rebuild();
  } catch (error) {
    await ctx.dispose();
    throw error;
  }
  return { outdir, entries, rebuild, dispose: () => ctx.dispose() };
}
