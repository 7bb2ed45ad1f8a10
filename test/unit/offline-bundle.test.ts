import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleFunctions, esbuildOptions, handlerEntry } from '../../scripts/lib/stack/bundle.mjs';

// The local stages' one build of every function (scripts/serverless-offline-bundle.cjs)
// stands in for serverless-esbuild's build of each function on its own, under
// serverless-offline: same files, same place, same bytes, and the plugin
// (pinned, unpatched) then builds nothing.

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
// CloudFormation's tags (!Ref, !GetAtt) stay unresolved: only plugins, custom and functions are read.
const service = parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8'), {
  logLevel: 'error',
});
const workFolder = `.esbuild-unit-${process.pid}`;
/** custom.esbuild as the local and test stages resolve it, into a work folder of this test's own. */
const localEsbuild = { ...service.custom.esbuild, splitting: false, outputWorkFolder: workFolder };
const functions: Record<string, { handler: string }> = service.functions;
const OfflineBundle = require('../../scripts/serverless-offline-bundle.cjs');
// The plugin's own reading of the functions it builds (its `skipEsbuild` filter included).
const { extractFunctionEntries } = require('serverless-esbuild/dist/helper.js');

afterAll(() => rmSync(path.join(root, workFolder), { recursive: true, force: true }));

/** What the plugin hooks run with: serverless.yml's functions (copied) for a stage without splitting. */
function fakeServerless(esbuild: Record<string, unknown>) {
  const fns = structuredClone(functions) as Record<
    string,
    { handler: string; skipEsbuild?: boolean }
  >;
  return {
    service: { custom: { esbuild }, functions: fns, provider: service.provider },
  };
}
const log = { verbose: () => undefined };

describe('The local stages’ one build of every function', () => {
  it('is listed before serverless-esbuild, so that its hooks run first', () => {
    const plugins: string[] = service.plugins;
    expect(plugins.indexOf('./scripts/serverless-offline-bundle.cjs')).toBeGreaterThanOrEqual(0);
    expect(plugins.indexOf('./scripts/serverless-offline-bundle.cjs')).toBeLessThan(
      plugins.indexOf('serverless-esbuild'),
    );
  });

  it('hooks serverless-offline only: sls package and deploy are left to serverless-esbuild', () => {
    const plugin = new OfflineBundle(fakeServerless(localEsbuild), {}, { log });
    expect(Object.keys(plugin.hooks).sort()).toEqual([
      'before:offline:functionsUpdated:cleanup',
      'before:offline:start',
      'before:offline:start:end',
      'before:offline:start:init',
    ]);
  });

  it('writes each handler where serverless-esbuild does, byte for byte its build of that entry alone, and the plugin then builds none', async () => {
    const serverless = fakeServerless(localEsbuild);
    const plugin = new OfflineBundle(serverless, {}, { log });
    await plugin.hooks['before:offline:start:init']();
    // A changed file (serverless-esbuild's watch): built again before offline reloads.
    await plugin.hooks['before:offline:functionsUpdated:cleanup']();
    await plugin.hooks['before:offline:start:end']();

    const buildDir = path.join(root, workFolder, '.build');
    const entries = [...new Set(Object.values(functions).map((fn) => handlerEntry(fn.handler)))];
    const written = readdirSync(buildDir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => path.relative(buildDir, path.join(f.parentPath, f.name)))
      .sort();
    expect(written).toEqual(
      entries.flatMap((e) => [e.replace(/\.ts$/, '.mjs'), e.replace(/\.ts$/, '.mjs.map')]).sort(),
    );

    // serverless-esbuild's build of one function (bundle.js, bundleMapper):
    // that entry alone, into the build folder's copy of the entry's folder.
    const alone = path.join(root, workFolder, 'alone');
    for (const entry of [
      'functions/payment/create.ts',
      'functions/console/page.ts',
      'functions/auth/authorizer.ts',
    ]) {
      await build({
        ...esbuildOptions(localEsbuild),
        outExtension: { '.js': '.mjs' },
        absWorkingDir: root,
        entryPoints: [entry],
        outdir: path.join(alone, path.dirname(entry)),
      });
      for (const ext of ['.mjs', '.mjs.map']) {
        const file = entry.replace(/\.ts$/, ext);
        expect(readFileSync(path.join(buildDir, file)), file).toEqual(
          readFileSync(path.join(alone, file)),
        );
      }
    }

    expect(Object.values(serverless.service.functions).every((fn) => fn.skipEsbuild)).toBe(true);
    expect(extractFunctionEntries(root, 'aws', serverless.service.functions)).toEqual([]);
  }, 120_000);

  it('leaves a stage with code splitting (dev, prod) to serverless-esbuild', async () => {
    const serverless = fakeServerless({ ...localEsbuild, splitting: true });
    const plugin = new OfflineBundle(serverless, {}, { log });
    await plugin.hooks['before:offline:start:init']();
    expect(Object.values(serverless.service.functions).some((fn) => fn.skipEsbuild)).toBe(false);
    await expect(
      bundleFunctions({ functions, esbuild: { ...localEsbuild, splitting: true } }),
    ).rejects.toThrow(/splitting/);
  });
});
