import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error serverless-offline's sources (patched, patches/), without types
import LambdaFunctionPool from '../../node_modules/serverless-offline/src/lambda/LambdaFunctionPool.js';
// @ts-expect-error the same module instance the patched runner logs through
import { setLogUtils } from '../../node_modules/serverless-offline/src/utils/log.js';

// The local stack's runtime, as patched (patches/serverless-offline+14.8.2.patch):
// real worker threads, one per function instance, as serverless-offline runs
// every function. A function whose worker dies (an uncaught exception, an
// unhandled rejection, process.exit) fails the invocation in flight, as
// Lambda's Runtime.ExitError does, and the next invocation gets a new worker;
// unpatched, the Worker's 'error' event had no listener and took the whole
// serverless-offline process down.

const HANDLER = `
import { createRequire } from 'node:module';
import { threadId } from 'node:worker_threads';
const loaded = createRequire(import.meta.url).cache;
let invocations = 0;
export const handler = async (event) => {
  invocations += 1;
  switch (event.action) {
    case 'throw-after':
      setTimeout(() => { throw new Error('thrown after the answer'); }, 5);
      break;
    case 'reject-after':
      setTimeout(() => { Promise.reject(new Error('rejected after the answer')); }, 5);
      break;
    case 'throw-during':
      setTimeout(() => { throw new Error('thrown mid-invocation'); }, 5);
      return new Promise(() => {});
    case 'exit':
      process.exit(3);
      break;
    case 'throw':
      throw new Error('the handler threw');
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      break;
  }
  const tsx = Object.keys(loaded).some((file) => file.includes('/node_modules/tsx/'));
  return { invocations, threadId, tsx };
};
`;

// A TypeScript handler, which serverless-offline loads through tsx.
const TS_HANDLER = `
export const handler = async (): Promise<{ typed: boolean }> => ({ typed: true satisfies boolean });
`;

type Answer = { invocations: number; threadId: number; tsx?: boolean };

let dir: string;
let pool: { get: (key: string, definition: object) => Invocation; cleanup: () => Promise<void> };
type Invocation = { setEvent: (event: object) => void; runHandler: () => Promise<unknown> };
const errors: unknown[][] = [];
let onError: (() => void) | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'offline-runtime-'));
  writeFileSync(path.join(dir, 'fn.mjs'), HANDLER);
  const noop = () => {};
  setLogUtils({
    log: {
      debug: noop,
      info: noop,
      notice: noop,
      verbose: noop,
      warning: noop,
      error: (...args: unknown[]) => {
        errors.push(args);
        onError?.();
      },
    },
    progress: { get: noop, notice: noop, remove: noop },
  });
});

afterEach(async () => {
  await pool?.cleanup();
  errors.length = 0;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let timeout = 5;

/** A pool whose functions (`fn`, or another file of `dir`) have this timeout (seconds). */
function startPool({ maxConcurrency = 2, timeoutSeconds = 5 } = {}) {
  timeout = timeoutSeconds;
  const serverless = {
    service: {
      service: 'offline-runtime',
      provider: { runtime: 'nodejs24.x', region: 'eu-west-1' },
      package: {},
    },
    config: { servicePath: dir },
  };
  pool = new LambdaFunctionPool(serverless, { maxConcurrency, terminateIdleLambdaTime: 60 });
}

/** Invokes the handler of `dir/<file>.mjs` (or `.ts`), as serverless-offline does for one request. */
function invoke<T = Answer>(event: object, file = 'fn'): Promise<T> {
  const fn = pool.get(file, {
    handler: `${file}.handler`,
    name: `offline-runtime-${file}`,
    timeout,
  });
  fn.setEvent(event);
  return fn.runHandler() as Promise<T>;
}

/** Resolves when the runtime logs that a worker died (no sleep: the log line is the signal). */
function workerDeath(): Promise<void> {
  return new Promise((resolve) => {
    onError = () => {
      if (errors.some((args) => String(args[0]).includes('worker thread died'))) resolve();
    };
    onError();
  });
}

// Each worker appends when it starts and ends loading this module (its init phase).
const SLOW_INIT_HANDLER = `
import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
const log = new URL('./loads.txt', import.meta.url);
appendFileSync(log, \`start \${threadId}\\n\`);
await new Promise((resolve) => setTimeout(resolve, 100));
appendFileSync(log, \`end \${threadId}\\n\`);
export const handler = async () => ({ invocations: 0, threadId });
`;

describe('serverless-offline runtime (patched): a cold burst', () => {
  it('loads the handler in one new worker at a time, up to maxConcurrency workers', async () => {
    writeFileSync(path.join(dir, 'slow-init.mjs'), SLOW_INIT_HANDLER);
    writeFileSync(path.join(dir, 'loads.txt'), '');
    startPool({ maxConcurrency: 3 });
    // Sent in one tick, as a burst reaches serverless-offline.
    const answers = await Promise.all(Array.from({ length: 9 }, () => invoke({}, 'slow-init')));
    expect(answers).toHaveLength(9);
    const loads = readFileSync(path.join(dir, 'loads.txt'), 'utf8').trim().split('\n');
    // Never two loads at once: each start is followed by its own end.
    expect(loads.length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < loads.length; i += 2) {
      expect(loads[i + 1]).toBe(loads[i]?.replace('start', 'end'));
    }
    expect(new Set(answers.map((a) => a.threadId)).size).toBeLessThanOrEqual(3);
  });
});

describe('serverless-offline runtime (patched): a function that kills its worker', () => {
  it.each(['throw-after', 'reject-after'])(
    'after answering (%s): the stack stays up and the next invocation gets a new worker',
    async (action) => {
      startPool();
      const died = workerDeath();
      const first = await invoke({ action });
      expect(first.invocations).toBe(1);
      await died;
      const next = await invoke({});
      // A cold start: a new thread, with the module loaded afresh.
      expect(next.threadId).not.toBe(first.threadId);
      expect(next.invocations).toBe(1);
      expect(errors.flat().map(String).join('\n')).toContain('after the answer');
    },
  );

  it.each(['throw-during', 'exit'])(
    'mid-invocation (%s): that invocation fails as Runtime.ExitError at once, the next one is answered',
    async (action) => {
      // A function timeout of 60 s: only the worker's death can end this invocation in the test's time.
      startPool({ timeoutSeconds: 60 });
      const first = await invoke({});
      await expect(invoke({ action })).rejects.toMatchObject({ name: 'Runtime.ExitError' });
      const next = await invoke({});
      expect(next.threadId).not.toBe(first.threadId);
      expect(next.invocations).toBe(1);
    },
  );

  it('loads tsx only for a TypeScript handler', async () => {
    writeFileSync(path.join(dir, 'typed.ts'), TS_HANDLER);
    startPool();
    expect(await invoke({})).toMatchObject({ tsx: false });
    expect(await invoke({}, 'typed')).toEqual({ typed: true });
  });

  it('an error thrown by the handler fails only its invocation: the worker lives on', async () => {
    startPool();
    const first = await invoke({});
    await expect(invoke({ action: 'throw' })).rejects.toThrow('the handler threw');
    const next = await invoke({});
    expect(next).toMatchObject({ invocations: 3, threadId: first.threadId });
    expect(errors.flat().map(String).join('\n')).not.toContain('worker thread died');
  });

  it('a timeout ends the invocation and the next one gets a new worker', async () => {
    startPool({ timeoutSeconds: 1 });
    const first = await invoke({});
    await expect(invoke({ action: 'sleep', ms: 30_000 })).rejects.toThrow('Lambda timeout');
    const next = await invoke({});
    expect(next.threadId).not.toBe(first.threadId);
    // Terminating the timed-out worker is not reported as a death.
    expect(errors.flat().map(String).join('\n')).not.toContain('worker thread died');
  });

  it('maxConcurrency: a burst is answered in full by at most that many workers', async () => {
    startPool({ maxConcurrency: 2 });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => invoke({ action: 'sleep', ms: 20 })),
    );
    expect(answers).toHaveLength(8);
    expect(new Set(answers.map((a) => a.threadId)).size).toBeLessThanOrEqual(2);
    // Each invocation ran once: per worker, its invocations count 1, 2, 3... with no gap.
    const byThread = new Map<number, number[]>();
    for (const a of answers)
      byThread.set(a.threadId, [...(byThread.get(a.threadId) ?? []), a.invocations]);
    for (const counts of byThread.values()) {
      expect(counts.sort((x, y) => x - y)).toEqual(counts.map((_, i) => i + 1));
    }
  });
});
