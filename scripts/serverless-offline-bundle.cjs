// A serverless plugin (listed in serverless.yml before serverless-esbuild; loaded with require, hence CommonJS).
/**
 * Under serverless-offline, in a stage without code splitting (local, test):
 * every function in ONE esbuild build (scripts/lib/stack/bundle.mjs), written
 * where serverless-esbuild writes its per-function builds, then each built
 * function marked `skipEsbuild` (the plugin's own function property) so that
 * the plugin builds none of them; it still points serverless-offline at the
 * build folder. The modules the functions share are parsed once instead of
 * once per function (docs/performance.md, "The local stack").
 *
 * On a changed file the build runs again (incrementally) before
 * serverless-offline drops its workers, as the plugin's own build did: the
 * plugin's watch still notices the change (`offline:functionsUpdated`).
 *
 * Inert for every other command (`sls package`, `sls deploy`) and stage
 * (dev, prod split into chunks): serverless-esbuild builds each function as
 * it ships. Runs before the plugin's hooks because it is listed before it.
 */
class OfflineBundle {
  /**
   * @param {any} serverless
   * @param {unknown} _options
   * @param {{ log: { verbose: (message: string) => void } }} utils
   */
  constructor(serverless, _options, { log }) {
    let started = false;
    /** @type {Awaited<ReturnType<typeof import('./lib/stack/bundle.mjs').bundleFunctions>> | undefined} */
    let built;
    const bundle = async () => {
      if (started) return;
      started = true;
      const custom = serverless.service.custom?.esbuild ?? {};
      if (custom.splitting || custom.metafile || custom.config) return;
      const functions = Object.fromEntries(
        Object.entries(serverless.service.functions ?? {}).filter(
          ([, fn]) =>
            typeof fn.handler === 'string' &&
            !fn.skipEsbuild &&
            String(fn.runtime ?? serverless.service.provider.runtime).startsWith('nodejs'),
        ),
      );
      const startedAt = Date.now();
      const { bundleFunctions } = await import('./lib/stack/bundle.mjs');
      built = await bundleFunctions({ functions, esbuild: custom });
      for (const fn of Object.values(functions)) fn.skipEsbuild = true;
      log.verbose(
        `${built.entries.length} handlers bundled in one esbuild build (${Date.now() - startedAt} ms)`,
      );
    };
    this.hooks = {
      // `sls offline start` and `sls offline`: serverless-esbuild builds on both.
      'before:offline:start:init': bundle,
      'before:offline:start': bundle,
      // serverless-esbuild's watch, on a changed file, rebuilds (nothing, here)
      // and has serverless-offline drop its workers: this build first.
      'before:offline:functionsUpdated:cleanup': async () => built?.rebuild(),
      'before:offline:start:end': async () => built?.dispose(),
    };
  }
}

module.exports = OfflineBundle;
