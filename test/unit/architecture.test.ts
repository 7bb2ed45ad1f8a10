import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The shape of the house (STYLE.md, "The shape of the house"): every arrow
// points down. functions/ → lib/<service>/ → lib/<engine>/ → lib/shared/; a
// service never imports another service, an engine never imports a service,
// lib/shared imports nothing of ours, nothing deployed imports scripts/, and
// no module imports itself through a circle. Read from the code's imports.

const root = path.resolve(import.meta.dirname, '../..');
const SERVICES = ['payment', 'order', 'notification'];
const ENGINES = ['outbox', 'http', 'auth', 'cache', 'ops'];

/** Every .ts/.mjs file below `dir` (relative to the repository). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...filesUnder(rel));
    else if (/\.(ts|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The repository files `file` imports (relative specifiers only; `.js` resolves to `.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/^import\s+['"]([^'"]+)['"]/gm),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => {
      const target = path.normalize(path.join(path.dirname(file), s));
      return target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : target;
    });
}

/** `lib/<room>/...` → room; anything else → its top folder. */
function roomOf(file: string): string {
  const [top, room] = file.split(path.sep);
  return top === 'lib' ? (room ?? '') : (top ?? '');
}

const libFiles = filesUnder('lib');
const functionFiles = filesUnder('functions');
const graph = new Map([...libFiles, ...functionFiles].map((f) => [f, importsOf(f)]));

/** Each import that breaks `rule`, as `from -> to`. */
function breaking(files: string[], rule: (from: string, to: string) => boolean): string[] {
  return files.flatMap((from) =>
    (graph.get(from) ?? []).filter((to) => rule(from, to)).map((to) => `${from} -> ${to}`),
  );
}

describe('The shape of the house: every arrow points down', () => {
  it('reads the imports it checks (the test can see an arrow)', () => {
    expect(graph.get(path.join('lib', 'payment', 'pay.ts'))).toContain(
      path.join('lib', 'payment', 'charge-guard.ts'),
    );
  });

  it('never lets a service import another service', () => {
    const crossing = breaking(libFiles, (from, to) => {
      const a = roomOf(from);
      const b = roomOf(to);
      return SERVICES.includes(a) && SERVICES.includes(b) && a !== b;
    });
    expect(crossing).toEqual([]);
  });

  it('never lets an engine import a service (it takes a port instead)', () => {
    const up = breaking(
      libFiles,
      (from, to) => ENGINES.includes(roomOf(from)) && SERVICES.includes(roomOf(to)),
    );
    expect(up).toEqual([]);
  });

  it('keeps lib/shared free of anything else of ours', () => {
    const out = breaking(
      libFiles,
      (from, to) => roomOf(from) === 'shared' && roomOf(to) !== 'shared',
    );
    expect(out).toEqual([]);
  });

  it('never lets deployed code import scripts/ or tests', () => {
    const dev = breaking(
      [...libFiles, ...functionFiles],
      (_from, to) => to.startsWith(`scripts${path.sep}`) || to.startsWith(`test${path.sep}`),
    );
    expect(dev).toEqual([]);
  });

  it('lets the console (a browser bundle) take only types from lib/, the wire formats of its routes', () => {
    const valueImports = filesUnder('console').flatMap((file) => {
      const text = readFileSync(path.join(root, file), 'utf8');
      return [...text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)]
        .filter(
          (m) =>
            !m[1] &&
            path.normalize(path.join(path.dirname(file), m[2] ?? '')).startsWith(`lib${path.sep}`),
        )
        .map((m) => `${file} -> ${m[2]}`);
    });
    expect(valueImports).toEqual([]);
    // The test can see such an import: the pulse view takes its wire format from lib.
    expect(readFileSync(path.join(root, 'console/views/pulse.ts'), 'utf8')).toMatch(
      /^import type \{[^}]*\} from '\.\.\/\.\.\/lib\//m,
    );
  });

  it("keeps each service's handlers to their own service's code", () => {
    const crossing = breaking(functionFiles, (from, to) => {
      const handlerService = from.split(path.sep)[1] ?? '';
      const target = roomOf(to);
      return (
        SERVICES.includes(handlerService) && SERVICES.includes(target) && target !== handlerService
      );
    });
    expect(crossing).toEqual([]);
  });

  it('has no circle of imports', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const trail: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      trail.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open')
          circles.push([...trail.slice(trail.indexOf(next)), next].join(' -> '));
        else if (!state.has(next) && graph.has(next)) visit(next);
      }
      trail.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });
});
