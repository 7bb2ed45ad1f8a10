import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readZip, type ZipEntry } from '../../scripts/lib/measure/zip.mjs';
import { functionsByName, loadTemplate } from '../support/template.js';

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

/** The local modules `code` imports statically (`from"./x.mjs"`, `import"./x.mjs"`) or behind import(). */
function importsOf(code: string): { static: string[]; dynamic: string[] } {
  const all = (re: RegExp) => [...new Set([...code.matchAll(re)].map((m) => String(m[1])))];
  return {
    static: all(/(?:\bfrom\s*|\bimport\s*)"(\.\/[^"]+\.mjs)"/g),
    dynamic: all(/\bimport\(\s*"(\.\/[^"]+\.mjs)"\s*\)/g),
  };
}

/** The files a cold start of `fn` loads: its handler and, transitively, the chunks it imports statically. */
function coldStartFiles(fn: string): ZipEntry[] {
  const { file, entries } = bundleOf(fn);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const seen = new Map<string, ZipEntry>();
  const visit = (name: string) => {
    const entry = byName.get(name);
    if (!entry) throw new Error(`${fn}.zip has no ${name}, which a bundle imports`);
    if (seen.has(name)) return;
    seen.set(name, entry);
    for (const i of importsOf(entry.read().toString('utf8')).static)
      visit(path.posix.join(path.posix.dirname(name), i));
  };
  visit(file);
  return [...seen.values()];
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
  ])(
    'bundles %s as minified ES modules: its handler and its own chunks, each with its source map, and nothing else',
    (fn) => {
      const { file, code, entries } = bundleOf(fn);
      const base = file.slice(0, -'.mjs'.length);
      const modules = entries.map((e) => e.name).filter((n) => n.endsWith('.mjs'));
      // Chunks (code splitting) are named after their handler, so no zip carries another function's.
      for (const name of modules)
        expect(name === file || name.startsWith(`${base}.`), name).toBe(true);
      expect(entries.map((e) => e.name).sort()).toEqual(
        modules.flatMap((m) => [m, `${m}.map`]).sort(),
      );
      expect(code).toMatch(/\bexport\s*\{/);
      for (const entry of entries.filter((e) => e.name.endsWith('.mjs'))) {
        const text = entry.read().toString('utf8');
        expect(text, entry.name).toMatch(/\/\/# sourceMappingURL=\S+\.mjs\.map\s*$/);
        // Minified: a handful of very long lines, not thousands of short ones.
        expect(text.split('\n').length, entry.name).toBeLessThanOrEqual(
          Math.max(20, text.length / 1000),
        );
      }
    },
  );

  it.each(['orderGet', 'paymentCreate', 'paymentRelay', 'notificationSend', 'opsTimeline'])(
    'leaves the X-Ray SDK out of what a cold start of %s loads: the Tracer is a chunk behind import()',
    (fn) => {
      const xray = /AWS_XRAY_CONTEXT_MISSING/;
      const loaded = coldStartFiles(fn);
      for (const entry of loaded)
        expect(entry.read().toString('utf8'), entry.name).not.toMatch(xray);
      const { file, entries } = bundleOf(fn);
      const lazy = loaded.flatMap((e) =>
        importsOf(e.read().toString('utf8')).dynamic.map((i) =>
          path.posix.join(path.posix.dirname(e.name), i),
        ),
      );
      const tracer = lazy.filter((name) => name.includes('.tracer-runtime-'));
      expect(tracer, `${file} imports the Tracer's chunk`).toHaveLength(1);
      const chunk = entries.find((e) => e.name === tracer[0]);
      expect(chunk?.read().toString('utf8')).toMatch(xray);
    },
  );

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
        // The Tracer's chunk too (what the first sampled invocation in AWS loads).
        const tracer = entries.find((e) => /\.tracer-runtime-[^/]+\.mjs$/.test(e.name));
        const tracerUrl = tracer ? pathToFileURL(path.join(bare, tracer.name)).href : undefined;
        const result = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(url)});` +
              (tracerUrl
                ? ` const t = await import(${JSON.stringify(tracerUrl)}); if (Object.keys(t).length === 0) throw new Error('empty tracer chunk');`
                : '') +
              ' console.log(typeof m.handler);',
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

  it('names errors with literals, since minification renames their classes (no keepNames)', () => {
    const code = coldStartFiles('orderCreate')
      .map((e) => e.read().toString('utf8'))
      .join('\n');
    for (const name of ['AppError', 'ValidationError', 'ConflictError']) {
      expect(code).toMatch(new RegExp(`\\bname\\s*=\\s*["']${name}["']`));
    }
    // keepNames' helper, which names every function and class at import.
    expect(code).not.toMatch(/["']name["'],\{value:\w+,configurable:!0\}/);
  });

  it('keeps what every cold start loads within 2× the baseline of a DynamoDB client and a Logger (243 KB), so a cold start stays affordable', () => {
    // The bound of issue 12, measured by `npm run bench` (docs/performance.md;
    // the baseline split the same way): a handler whose files grow past it
    // fails here, before it reaches a cold start.
    const bound = 2 * 243 * 1024;
    for (const fn of Object.keys(functions)) {
      const bytes = coldStartFiles(fn).reduce((n, e) => n + e.size, 0);
      expect(bytes, fn).toBeLessThan(bound);
    }
  });

  it('starts without source maps: Node parses none at a cold start', () => {
    for (const fn of Object.keys(functions)) {
      const options = String(functions[fn]?.Properties?.Environment?.Variables?.NODE_OPTIONS ?? '');
      expect(options, fn).not.toMatch(/enable-source-maps/);
    }
  });
});
