// serverless-esbuild plugins (custom.esbuild.plugins; loaded with require, hence CommonJS).
const path = require('node:path');

/**
 * `import { html, script, stylesheet } from 'virtual:console-assets'`: the
 * operations console, built by scripts/lib/ops/console-build.mjs into the console
 * function's bundle; its sources are watched, so serverless-offline rebuilds.
 */
const consoleAssets = {
  name: 'console-assets',
  setup(build) {
    build.onResolve({ filter: /^virtual:console-assets$/ }, (args) => ({
      path: args.path,
      namespace: 'console-assets',
    }));
    build.onLoad({ filter: /.*/, namespace: 'console-assets' }, async () => {
      const { buildConsoleAssets } = await import('./lib/ops/console-build.mjs');
      const { html, script, stylesheet, inputs } = await buildConsoleAssets();
      return {
        contents: `export const html = ${JSON.stringify(html)};
export const script = ${JSON.stringify(script)};
export const stylesheet = ${JSON.stringify(stylesheet)};`,
        loader: 'js',
        watchFiles: inputs,
      };
    });
  },
};

/**
 * With code splitting, names each chunk after the handler it belongs to
 * (`functions/order/get.tracer-runtime-<hash>.mjs` beside `get.mjs`).
 * serverless-esbuild zips into each function every file of the build folder
 * except the other handlers and the files named `<other handler>.*`: so each
 * zip holds its own chunks and none of another function's.
 */
const chunksBesideHandler = {
  name: 'chunks-beside-handler',
  setup(build) {
    const options = build.initialOptions;
    const entries = Array.isArray(options.entryPoints) ? options.entryPoints : [];
    if (!options.splitting || entries.length !== 1 || typeof entries[0] !== 'string') return;
    const base = path.basename(entries[0]).replace(/\.[^.]+$/, '');
    options.chunkNames = `${base}.[name]-[hash]`;
  },
};

module.exports = [consoleAssets, chunksBesideHandler];
