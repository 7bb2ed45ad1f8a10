// serverless-esbuild plugins (custom.esbuild.plugins; loaded with require, hence CommonJS).
/**
 * `import { html, script, stylesheet } from 'virtual:console-assets'`: the
 * operations console, built by scripts/lib/console-build.mjs into the console
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
      const { buildConsoleAssets } = await import('./lib/console-build.mjs');
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

module.exports = [consoleAssets];
