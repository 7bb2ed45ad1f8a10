// @ts-check
/**
 * Builds the operations console (console/): one esbuild bundle of its
 * modules, its one stylesheet and its page. The console function's bundle
 * embeds the result (scripts/esbuild-plugins.cjs), so `npm start` serves it
 * and `sls deploy` ships it; no CDN, no font, nothing fetched at run time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console');

/**
 * The console's three files, as text, and the source files they came from.
 * @returns {Promise<{ html: string, script: string, stylesheet: string, inputs: string[] }>}
 */
export async function buildConsoleAssets() {
  const result = await build({
    entryPoints: [path.join(consoleDir, 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const script = result.outputFiles[0]?.text ?? '';
  const html = await readFile(path.join(consoleDir, 'index.html'), 'utf8');
  const stylesheet = await readFile(path.join(consoleDir, 'console.css'), 'utf8');
  const inputs = [
    ...Object.keys(result.metafile.inputs).map((file) => path.resolve(file)),
    path.join(consoleDir, 'index.html'),
    path.join(consoleDir, 'console.css'),
  ];
  return { html, script, stylesheet, inputs };
}
