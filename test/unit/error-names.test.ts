import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Every TypeScript file of the deployed code (lib/, functions/). */
function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('Error classes', () => {
  // The bundles are minified without keepNames (serverless.yml): a class is
  // renamed to a letter, so new.target.name or constructor.name would log
  // and compare "n" instead of "ConflictError".
  const classes = [...sources('lib'), ...sources('functions')].flatMap((file) => {
    const code = readFileSync(file, 'utf8');
    return [...code.matchAll(/class (\w+) extends (\w*Error)\b[^{]*\{/g)].map((m) => {
      // The class body: up to the next top-level closing brace.
      const body = code.slice(m.index, code.indexOf('\n}', m.index));
      return { file: path.relative(root, file), name: String(m[1]), body };
    });
  });

  it('finds the error classes of the code', () => {
    expect(classes.map((c) => c.name)).toEqual(
      expect.arrayContaining(['ConflictError', 'DownstreamError', 'GatewayUnavailableError']),
    );
  });

  it('has every error class name itself with a literal, not from its (minified) class name', () => {
    for (const { file, name, body } of classes) {
      expect(body, `${file}: ${name}`).toMatch(
        new RegExp(`(?:override name|this\\.name) = '${name}';`),
      );
    }
    expect(readFileSync(path.join(root, 'lib/shared/errors.ts'), 'utf8')).not.toMatch(
      /new\.target\.name|constructor\.name/,
    );
  });
});
