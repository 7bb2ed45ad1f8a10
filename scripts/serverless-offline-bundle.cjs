// A serverless plugin (listed in serverless.yml before serverless-esbuild; loaded with require, hence CommonJS).
/**
 * Under serverless-offline, in a stage without code splitting (local, test):
 * every function in ONE esbuild build (scripts/lib/stack/bundle.mjs), written
 * where serverless-esbuild writes its per-function builds, then each built
 * function marked `skipEsbuild` (the plugin's own function property) so that
 * the plugin builds none of them; it still points serverless-offline at the
 * build folder. The modules the functions share are parsed once instead of
 * once per function: half of `npm start`'s build (docs/performance.md).
 *
 * esbuild watches what it read; after a rebuild serverless-offline drops its
 * workers (`offline:functionsUpdated`), as after the plugin's own rebuilds.
 *
 * Inert for every other command (`sls package`, `sls deploy`) and stage
 * (dev, prod split into chunks): serverless-esbuild builds each function as
 * it ships. Runs before the plugin's hooks because it is listed before it.
 */
class OfflineBundle {
  /**
   * @param {any} serverless
   * @param {unknown} _options
   * @param {{ log: { verbose: (message: string) => void, error: (message: string) => void } }} utils
   */
  constructor(serverless, _options, { log }) {
    let done = false;
    /** @type {(() => Promise<void>) | undefined} */
    let dispose;
    const bundle = async () => {
      if (done) return;
      done = true;
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
      const started = Date.now();
      const { bundleFunctions } = await import('./lib/stack/bundle.mjs');
      const built = await bundleFunctions({
        functions,
        esbuild: custom,
        onRebuild: () => {
          log.verbose('Rebuilt: serverless-offline reloads the functions');
          serverless.pluginManager
            .spawn('offline:functionsUpdated')
            .catch((/** @type {Error} */ error) => log.error(`reload failed: ${error.message}`));
        },
      });
      dispose = built.dispose;
      for (const fn of Object.values(functions)) fn.skipEsbuild = true;
      log.verbose(
        `${built.entries.length} handlers bundled in one esbuild build (${Date.now() - started} ms)`,
      );
    };
    this.hooks = {
      // `sls offline start` and `sls offline`: serverless-esbuild builds on both.
      'before:offline:start:init': bundle,
      'before:offline:start': bundle,
      // esbuild stops watching when serverless-offline stops.
      'before:offline:start:end': async () => dispose?.(),
    };
  }
}

module.exports = OfflineBundle;
