import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/stack/process.mjs';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs `npm start`'s script and collects what it prints. */
function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    // A newcomer's shell: none of the test run's own variables (STAGE, DYNAMODB_ENDPOINT...).
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d) => {
    text += d;
  });
  child.stderr?.on('data', (d) => {
    text += d;
  });
  return { child, output: () => text };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Process ids whose command line mentions `needle` (Linux /proc). */
function processesMentioning(needle: string): string[] {
  const out = spawnSync('pgrep', ['-f', needle], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean);
}

describe('npm start', () => {
  const logDir = mkdtempSync(path.join(tmpdir(), 'lambda-payments-start-'));
  afterAll(() => rmSync(logDir, { recursive: true, force: true }));

  it('starts the whole stack, answers on every service, refuses a second start, and Ctrl-C leaves nothing behind', async () => {
    const httpPort = String(await freePort());
    const lambdaPort = String(await freePort());
    const dynamoPort = String(await freePort());
    const env = {
      HTTP_PORT: httpPort,
      LAMBDA_PORT: lambdaPort,
      DYNAMODB_PORT: dynamoPort,
      RELAY_INTERVAL_MS: '0',
      LOG_FILE: path.join(logDir, 'local.log'),
    };
    const first = start(env);
    try {
      await until(() => first.output().includes('Ready in'), 90_000, 'the stack to be ready').catch(
        (error) => {
          throw new Error(`${error.message}; it printed:\n${first.output().slice(-3000)}`);
        },
      );
      const base = `http://127.0.0.1:${httpPort}`;
      const order = await fetch(`${base}/orders/o-start-1`);
      expect(order.status).toBe(404);
      expect(order.headers.get('x-correlation-id')).toBeTruthy();
      expect((await fetch(`${base}/payments/t-start-1`)).status).toBe(404);
      expect((await fetch(`${base}/notifications?userId=u-start-1`)).status).toBe(200);

      const second = start(env);
      expect(await exited(second.child)).toBe(1);
      expect(second.output()).toMatch(new RegExp(`Port ${httpPort} .* is already taken`));
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await exited(first.child)).toBe(0);
    expect(first.output()).toContain('Stopped.');
    expect(processesMentioning(`-port ${dynamoPort}`)).toEqual([]);
    expect(processesMentioning(`--httpPort ${httpPort}`)).toEqual([]);
  });

  it('says how to install Java when it is missing, and how to do without it', () => {
    const result = spawnSync(
      process.execPath,
      ['-e', "import('./scripts/lib/stack/dynamodb-local.mjs').then((m) => m.assertJava())"],
      { cwd: root, env: { ...process.env, PATH: '/nonexistent' }, encoding: 'utf8' },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Java 17 or newer/);
    expect(result.stderr).toMatch(/apt-get install/);
    expect(result.stderr).toMatch(/DYNAMODB_ENDPOINT/);
  });
});
