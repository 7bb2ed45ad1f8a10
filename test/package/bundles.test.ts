import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { readZip } from '../../scripts/lib/zip.mjs';
import { functionsByName, loadTemplate } from '../support/template.js';

interface ZipEntry {
  name: string;
  size: number;
  read: () => Buffer;
}

let dir: string;
let functions: ReturnType<typeof functionsByName>;

beforeAll(() => {
  dir = inject('packageDir');
  functions = functionsByName(loadTemplate(dir));
});

/** The handler bundle of a function, read back from its zip. */
function bundleOf(fn: string): { file: string; code: string; entries: ZipEntry[] } {
  const entries: ZipEntry[] = readZip(path.join(dir, `${fn}.zip`));
  const handler = String(functions[fn]?.Properties?.Handler);
  const file = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;
  const bundle = entries.find((e) => e.name === file);
  if (!bundle) throw new Error(`${fn}.zip has no ${file}: ${entries.map((e) => e.name)}`);
  return { file, code: bundle.read().toString('utf8'), entries };
}

describe('Function bundles', () => {
  it('packages one zip per function', () => {
    const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
    expect(zips.sort()).toEqual(
      Object.keys(functions)
        .map((fn) => `${fn}.zip`)
        .sort(),
    );
  });

  it.each([
    'orderCreate',
    'paymentCreate',
    'paymentRelay',
    'notificationSend',
    'internalAuthorizer',
  ])('bundles %s as one minified ES module with its source map, and nothing else', (fn) => {
    const { file, code, entries } = bundleOf(fn);
    expect(entries.map((e) => e.name).sort()).toEqual([file, `${file}.map`]);
    expect(code).toMatch(/\bexport\s*\{/);
    expect(code).toMatch(/\/\/# sourceMappingURL=\S+\.mjs\.map\s*$/);
    // Minified: a handful of very long lines, not thousands of short ones.
    const lines = code.split('\n').length;
    expect(lines).toBeLessThan(Math.max(20, code.length / 2000));
  });

  it.each([
    'orderCreate',
    'orderUpdateStatus',
    'paymentCreate',
    'paymentRelay',
    'notificationSend',
    'internalAuthorizer',
    'console',
    'opsTimeline',
  ])(
    'loads %s from its zip alone, with no node_modules in reach: the AWS SDK and every package are inside',
    (fn) => {
      const bare = mkdtempSync(path.join(tmpdir(), `bundle-${fn}-`));
      try {
        const { file, entries } = bundleOf(fn);
        for (const entry of entries) {
          mkdirSync(path.dirname(path.join(bare, entry.name)), { recursive: true });
          writeFileSync(path.join(bare, entry.name), entry.read());
        }
        // The function's own environment from the template; the API URL is only known in AWS.
        const variables = functions[fn]?.Properties?.Environment?.Variables ?? {};
        const env = Object.fromEntries(
          Object.entries(variables).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : 'https://api.example',
          ]),
        );
        const url = pathToFileURL(path.join(bare, file)).href;
        const result = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`,
          ],
          {
            cwd: bare,
            encoding: 'utf8',
            timeout: 20_000,
            env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ...env },
          },
        );
        expect(result.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
        expect(result.stdout.trim(), result.stderr).toBe('function');
      } finally {
        rmSync(bare, { recursive: true, force: true });
      }
    },
    // A fresh Node process per bundle: seconds on a loaded machine.
    30_000,
  );

  it("embeds the operations console's page, script and stylesheet in the console function", () => {
    const { code } = bundleOf('console');
    expect(code).toContain('/console/app.js');
    expect(code).toContain('Downstream effects of this payment');
    expect(code).toContain('--bad-bg');
  });

  it('keeps class names through minification, since errors are named after their class', () => {
    // lib/shared/errors.ts sets name = new.target.name; a minifier would rename AppError to a letter.
    expect(bundleOf('orderCreate').code).toMatch(/["']AppError["']/);
  });

  it('keeps every bundle within 2× the baseline of a DynamoDB client and a Logger (377 KB), so a cold start stays affordable', () => {
    // The bound of issue 12, measured by `npm run bench` (docs/performance.md):
    // a bundle that grows past it fails here, before it reaches a cold start.
    const bound = 2 * 377 * 1024;
    for (const fn of Object.keys(functions)) {
      const { code } = bundleOf(fn);
      expect(code.length, fn).toBeLessThan(bound);
    }
  });

  it('starts without source maps: Node parses none at a cold start', () => {
    for (const fn of Object.keys(functions)) {
      const options = String(functions[fn]?.Properties?.Environment?.Variables?.NODE_OPTIONS ?? '');
      expect(options, fn).not.toMatch(/enable-source-maps/);
    }
  });
});
