import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logSink } from '../../scripts/lib/stack/offline.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'offline-log-'));
  dirs.push(dir);
  return path.join(dir, 'offline.log');
}

describe('Function: logSink (the local stack log)', () => {
  it('drops what arrives after end() instead of throwing from an ended stream', async () => {
    const file = logFile();
    const log = logSink(file);
    log.write('before\n');
    await log.end();
    expect(() => log.write('after\n')).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(file, 'utf8')).toBe('before\n');
  });
});
